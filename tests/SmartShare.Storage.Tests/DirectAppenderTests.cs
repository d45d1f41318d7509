using Microsoft.Win32.SafeHandles;

namespace SmartShare.Storage.Tests;

/// <summary>
/// Appends that bypass the page cache: whatever the sizes, after every append the file holds exactly the bytes appended
/// so far (the partial last block included), and an appender opened on a file whose length is not a whole number of
/// blocks goes on from it. (Linux only, as the node is.)
/// </summary>
public sealed class DirectAppenderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("smartshare-direct-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Appends_of_any_size_leave_the_file_holding_every_byte_so_far()
    {
        var path = Path.Combine(_folder, "appended.bin");
        var expected = new MemoryStream();
        using var handle = File.OpenHandle(path, FileMode.Create, FileAccess.Write, FileShare.Read);
        using var appender = DirectAppender.TryOpen(path, handle, 0);
        Assert.NotNull(appender);

        var random = new Random(7);
        int[] sizes = [1, 4095, 0, 4097, DirectAppender.StagingSize + 3, 3 * DirectAppender.StagingSize + 1, 7, 4096, 2_097_151, 12_288];
        foreach (var size in sizes)
        {
            var chunk = new byte[size];
            random.NextBytes(chunk);
            appender.Append(chunk, expected.Length);
            expected.Write(chunk);

            Assert.Equal(expected.ToArray(), File.ReadAllBytes(path));
        }
    }

    [Fact]
    public void An_appender_opened_mid_block_reads_the_partial_block_back_and_goes_on_from_it()
    {
        var path = Path.Combine(_folder, "resumed.bin");
        var start = new byte[5000];
        new Random(1).NextBytes(start);
        File.WriteAllBytes(path, start);
        var more = new byte[10_000];
        new Random(2).NextBytes(more);

        using (var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read))
        using (var appender = DirectAppender.TryOpen(path, handle, start.Length))
        {
            Assert.NotNull(appender);
            appender.Append(more.AsSpan(0, 3), start.Length);
            appender.Append(more.AsSpan(3), start.Length + 3);
        }

        Assert.Equal([.. start, .. more], File.ReadAllBytes(path));
    }

    [Fact]
    public void A_write_only_handle_mid_block_gets_no_appender_rather_than_a_wrong_one()
    {
        var path = Path.Combine(_folder, "write-only.bin");
        File.WriteAllBytes(path, new byte[100]);
        using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Write, FileShare.Read);

        Assert.Null(DirectAppender.TryOpen(path, handle, 100));
    }
}
