using System.Security.Cryptography;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.IO;
using SmartShare.Tests.Shared;

namespace SmartShare.BitTorrent.Tests.Metainfo;

public sealed class TorrentCreatorTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("smartshare-torrent-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void A_created_single_file_torrent_parses_back_with_correct_piece_hashes()
    {
        var content = RandomBytes(100_000, seed: 1);
        var path = WriteFile("data.bin", content);

        var (bytes, torrent) = TorrentCreator.Create(path, pieceLength: 32 * 1024, announce: "http://tracker.example/announce");
        var parsed = TorrentParser.Parse(bytes);

        Assert.Equal(torrent.InfoHash, parsed.InfoHash);
        Assert.True(parsed.Info.IsSingleFile);
        Assert.Equal("data.bin", parsed.Info.Name);
        Assert.Equal(100_000, parsed.Info.TotalLength);
        Assert.Equal(32 * 1024, parsed.Info.PieceLength);
        Assert.Equal("http://tracker.example/announce", parsed.Announce);
        Assert.Equal("SmartShare", parsed.CreatedBy);
        Assert.Equal(ExpectedPieces(content, 32 * 1024), parsed.Info.Pieces.ToArray());
    }

    [Fact]
    public void A_created_multi_file_torrent_lists_files_in_ordinal_order_with_pieces_across_boundaries()
    {
        var root = Path.Combine(_folder, "share");
        var b = WriteFile(Path.Combine("share", "b.txt"), RandomBytes(20_000, seed: 2));
        var nested = WriteFile(Path.Combine("share", "A", "z.bin"), RandomBytes(30_000, seed: 3));
        var empty = WriteFile(Path.Combine("share", "a-empty"), []);

        var (bytes, torrent) = TorrentCreator.Create(root + Path.DirectorySeparatorChar, pieceLength: 16 * 1024);
        var parsed = TorrentParser.Parse(bytes);

        Assert.Equal(torrent.InfoHash, parsed.InfoHash);
        Assert.False(parsed.Info.IsSingleFile);
        Assert.Equal("share", parsed.Info.Name);
        Assert.Null(parsed.Announce);
        Assert.Equal(
            ["A/z.bin 30000@0", "a-empty 0@30000", "b.txt 20000@30000"],
            parsed.Info.Files.Select(file => $"{string.Join('/', file.Path)} {file.Length}@{file.Offset}"));
        var stream = File.ReadAllBytes(nested).Concat(File.ReadAllBytes(empty)).Concat(File.ReadAllBytes(b)).ToArray();
        Assert.Equal(ExpectedPieces(stream, 16 * 1024), parsed.Info.Pieces.ToArray());
    }

    [Fact]
    public void Creating_the_same_folder_twice_gives_the_same_bytes()
    {
        WriteFile(Path.Combine("same", "one"), RandomBytes(1000, seed: 4));
        WriteFile(Path.Combine("same", "two"), RandomBytes(1000, seed: 5));

        var first = TorrentCreator.Create(Path.Combine(_folder, "same")).TorrentBytes;
        var second = TorrentCreator.Create(Path.Combine(_folder, "same")).TorrentBytes;

        Assert.Equal(first, second);
    }

    [Fact]
    public void Reports_progress_up_to_the_total()
    {
        var path = WriteFile("progress.bin", RandomBytes(70_000, seed: 6));
        var reports = new List<long>();

        TorrentCreator.Create(path, progress: new SynchronousProgress(reports.Add));

        Assert.Equal(70_000, reports[^1]);
        Assert.Equal(reports.Order(), reports);
    }

    [Fact]
    public void Stops_when_cancelled()
    {
        var path = WriteFile("cancel.bin", RandomBytes(1000, seed: 7));

        Assert.ThrowsAny<OperationCanceledException>(() => TorrentCreator.Create(path, cancellationToken: new CancellationToken(canceled: true)));
    }

    [Theory]
    [InlineData(1, 16 * 1024)]
    [InlineData(2000L * 16 * 1024, 16 * 1024)]
    [InlineData((2000L * 16 * 1024) + 1, 32 * 1024)]
    [InlineData(4L * 1024 * 1024 * 1024, 4 * 1024 * 1024)]
    [InlineData(1L << 45, 16 * 1024 * 1024)]
    public void Chooses_a_piece_length_giving_at_most_two_thousand_pieces_up_to_16_MiB(long total, int expected)
    {
        Assert.Equal(expected, TorrentCreator.ChoosePieceLength(total));
    }

    [Fact]
    public void Refuses_a_folder_with_no_data()
    {
        var empty = Directory.CreateDirectory(Path.Combine(_folder, "empty")).FullName;
        WriteFile(Path.Combine("empty", "zero"), []);

        Assert.Throws<ArgumentException>(() => TorrentCreator.Create(empty));
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(8 * 1024)]
    [InlineData(128 * 1024 * 1024)]
    public void Refuses_a_bad_piece_length(int pieceLength)
    {
        var path = WriteFile("x.bin", [1, 2, 3]);

        Assert.Throws<ArgumentException>(() => TorrentCreator.Create(path, pieceLength));
    }

    [Fact]
    public void Refuses_a_path_that_does_not_exist()
    {
        Assert.Throws<FileNotFoundException>(() => TorrentCreator.Create(Path.Combine(_folder, "missing")));
    }

    [Fact]
    public void Refuses_a_symlink_that_leaves_the_folder()
    {
        var outside = WriteFile("outside.txt", [1, 2, 3]);
        WriteFile(Path.Combine("linked", "inside.txt"), [4, 5]);
        File.CreateSymbolicLink(Path.Combine(_folder, "linked", "escape"), outside);

        var error = Assert.Throws<IOException>(() => TorrentCreator.Create(Path.Combine(_folder, "linked")));
        Assert.Contains("escape", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Follows_a_symlink_that_stays_inside_the_folder()
    {
        WriteFile(Path.Combine("inner", "real.txt"), [4, 5]);
        File.CreateSymbolicLink(Path.Combine(_folder, "inner", "alias.txt"), Path.Combine(_folder, "inner", "real.txt"));

        var torrent = TorrentCreator.Create(Path.Combine(_folder, "inner")).Torrent;

        Assert.Equal(["alias.txt", "real.txt"], torrent.Info.Files.Select(file => file.Path[0]));
        Assert.Equal(4, torrent.Info.TotalLength);
    }

    [Fact]
    public void Refuses_a_symlink_loop_inside_the_folder_instead_of_recursing_forever()
    {
        WriteFile(Path.Combine("loop", "file.txt"), [1]);
        Directory.CreateSymbolicLink(Path.Combine(_folder, "loop", "again"), Path.Combine(_folder, "loop"));

        var error = Assert.Throws<IOException>(() => TorrentCreator.Create(Path.Combine(_folder, "loop")));
        Assert.Contains("deep", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refuses_a_fifo_at_once_instead_of_waiting_for_a_writer()
    {
        var fifo = Path.Combine(_folder, "pipe");
        HostileFiles.MakeFifo(fifo);

        var error = await Task.Run(() => Assert.Throws<LocalFileException>(() => TorrentCreator.Create(fifo))).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Contains($"\"{fifo}\" is a FIFO (named pipe)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_a_character_device()
    {
        var error = Assert.Throws<LocalFileException>(() => TorrentCreator.Create(HostileFiles.DevZero));

        Assert.Contains("is a character device", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refuses_a_folder_holding_a_fifo_naming_it_and_saying_what_to_do()
    {
        WriteFile(Path.Combine("show", "a.bin"), [1, 2, 3]);
        var fifo = Path.Combine(_folder, "show", "b.pipe");
        HostileFiles.MakeFifo(fifo);

        var error = await Task.Run(() => Assert.Throws<LocalFileException>(() => TorrentCreator.Create(Path.Combine(_folder, "show"))))
            .WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Contains($"\"{fifo}\" is a FIFO (named pipe)", error.Message, StringComparison.Ordinal);
        Assert.Contains("Move it out of", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_a_folder_holding_a_symlink_to_a_device_inside_it()
    {
        WriteFile(Path.Combine("devices", "a.bin"), [1, 2, 3]);
        File.CreateSymbolicLink(Path.Combine(_folder, "devices", "zero"), HostileFiles.DevZero);

        Assert.ThrowsAny<IOException>(() => TorrentCreator.Create(Path.Combine(_folder, "devices")));
    }

    private string WriteFile(string relative, byte[] content)
    {
        var path = Path.Combine(_folder, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        return path;
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static byte[] ExpectedPieces(byte[] stream, int pieceLength) =>
        stream.Chunk(pieceLength).SelectMany(piece => SHA1.HashData(piece)).ToArray();

    // Progress<T> posts to the thread pool, which would make the order of reports racy in a test.
    private sealed class SynchronousProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
