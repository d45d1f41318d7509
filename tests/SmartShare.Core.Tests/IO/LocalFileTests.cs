using SmartShare.IO;
using SmartShare.Tests.Shared;

namespace SmartShare.Core.Tests.IO;

public sealed class LocalFileTests : IDisposable
{
    // A refusal must come at once; the limit only keeps a regression (a blocked open) from hanging the run.
    private static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(10);

    private readonly HostileFiles _files = new();

    [Fact]
    public async Task Opens_a_regular_file_and_reads_it()
    {
        var path = Path.Combine(_files.Folder, "plain.txt");
        await File.WriteAllTextAsync(path, "hello");

        using var handle = await OpenAsync(path);

        Assert.Equal(5, RandomAccess.GetLength(handle));
        Assert.Equal("hello"u8.ToArray(), LocalFile.ReadAllWithin(path, 100, "a test file"));
    }

    [Fact]
    public async Task Follows_a_symlink_to_a_regular_file()
    {
        var target = Path.Combine(_files.Folder, "target.torrent");
        await File.WriteAllBytesAsync(target, [1, 2, 3]);
        var link = Path.Combine(_files.Folder, "link.torrent");
        File.CreateSymbolicLink(link, target);

        Assert.Equal([1, 2, 3], LocalFile.ReadAllWithin(link, 10, "a .torrent file"));
    }

    [Fact]
    public async Task Refuses_a_fifo_at_once_instead_of_waiting_for_a_writer()
    {
        var error = await RefusedAsync(_files.Fifo);

        Assert.Equal($"\"{_files.Fifo}\" is a FIFO (named pipe), not a regular file; SmartShare reads only regular files.", error.Message);
        Assert.Equal(_files.Fifo, error.Path);
    }

    [Fact]
    public async Task Refuses_a_character_device()
    {
        var error = await RefusedAsync(HostileFiles.DevZero);

        Assert.Contains("\"/dev/zero\" is a character device, not a regular file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refuses_a_symlink_to_a_character_device()
    {
        var error = await RefusedAsync(_files.ZeroTorrentLink);

        Assert.Contains($"\"{_files.ZeroTorrentLink}\" is a character device", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refuses_a_unix_socket_file()
    {
        var error = await RefusedAsync(_files.SocketFile);

        Assert.Contains($"\"{_files.SocketFile}\" is a socket, not a regular file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refuses_a_folder()
    {
        var error = await RefusedAsync(_files.Folder);

        Assert.Contains($"\"{_files.Folder}\" is a folder, not a regular file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refuses_a_file_in_proc_although_it_calls_itself_regular()
    {
        var error = await RefusedAsync(HostileFiles.ProcEnviron);

        Assert.Contains("\"/proc/self/environ\" is in /proc (a pseudo file system)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refuses_a_file_in_sys()
    {
        var error = await RefusedAsync("/sys/kernel/uevent_seqnum");

        Assert.Contains("is in /sys (a pseudo file system)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Says_there_is_no_file_at_a_missing_path()
    {
        var missing = Path.Combine(_files.Folder, "missing.torrent");

        var error = await RefusedAsync(missing);

        Assert.Equal($"There is no file at \"{missing}\".", error.Message);
    }

    [Fact]
    public async Task Refuses_a_path_with_a_nul_that_would_name_another_file_in_c()
    {
        var path = Path.Combine(_files.Folder, "plain.txt");
        await File.WriteAllTextAsync(path, "hello");

        var error = await RefusedAsync(path + "\0.torrent");

        Assert.Contains("a path cannot hold a NUL character", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reads_a_file_of_exactly_the_bound()
    {
        var path = Path.Combine(_files.Folder, "exact.bin");
        await File.WriteAllBytesAsync(path, new byte[1000]);

        Assert.Equal(1000, LocalFile.ReadAllWithin(path, 1000, "a test file").Length);
    }

    [Fact]
    public async Task Refuses_a_file_one_byte_over_the_bound_naming_it_and_what_it_is_not()
    {
        var path = Path.Combine(_files.Folder, "big.torrent");
        await File.WriteAllBytesAsync(path, new byte[1001]);

        var error = Assert.Throws<LocalFileException>(() => LocalFile.ReadAllWithin(path, 1000, "a .torrent file"));

        Assert.Equal($"\"{path}\" is larger than 1000 bytes, so it is not a .torrent file.", error.Message);
    }

    [Fact]
    public async Task The_bounded_reader_refuses_a_device_whose_size_reads_as_zero()
    {
        var error = await Task.Run(() => Assert.Throws<LocalFileException>(
            () => LocalFile.ReadAllWithin(_files.ZeroTorrentLink, 1000, "a .torrent file"))).WaitAsync(TimeLimit);

        Assert.Contains("is a character device", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _files.Dispose();

    private static Task<Microsoft.Win32.SafeHandles.SafeFileHandle> OpenAsync(string path) =>
        Task.Run(() => LocalFile.OpenRead(path)).WaitAsync(TimeLimit);

    private static Task<LocalFileException> RefusedAsync(string path) =>
        Task.Run(() => Assert.Throws<LocalFileException>(() => LocalFile.OpenRead(path))).WaitAsync(TimeLimit);
}
