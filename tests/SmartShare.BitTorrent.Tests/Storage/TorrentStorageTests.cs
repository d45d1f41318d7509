using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.Storage;
using SmartShare.Tests.Shared;
using Xunit.Abstractions;
using static SmartShare.BitTorrent.Tests.Storage.TestTorrents;

namespace SmartShare.BitTorrent.Tests.Storage;

public sealed class TorrentStorageTests(ITestOutputHelper output) : IDisposable
{
    private const int PieceLength = 16 * 1024;

    private readonly string _folder = Directory.CreateTempSubdirectory("smartshare-storage-").FullName;

    // 20000 + 0 + 3000 + 2000 + 0 + 40000 bytes: piece 1 (16384..32767) spans a, b, c and e; empty files at both kinds of place.
    private static (TorrentInfo Info, byte[] Content) Layout() =>
        MultiFile("share", PieceLength, 7, ("a", 20_000), ("empty", 0), ("sub/b", 3000), ("sub/deep/c", 2000), ("sub/z-empty", 0), ("e", 40_000));

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task A_single_file_torrent_written_in_random_order_reads_back_as_the_source()
    {
        var (info, content) = SingleFile("data.bin", 100_000, PieceLength);
        using (var storage = new TorrentStorage(info, _folder))
        {
            Assert.False(storage.Exists());
            Assert.Equal(Path.Combine(_folder, "data.bin"), storage.RootPath);
            Assert.Equal([storage.RootPath], storage.FilePaths);
            await WriteAllAsync(new Stored(storage, content), Shuffled(info.PieceCount, seed: 3));
            storage.Flush();
            Assert.True(storage.Exists());
        }

        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(_folder, "data.bin")));
        using var reopened = new TorrentStorage(info, _folder);
        var back = new byte[content.Length];
        await reopened.ReadAsync(0, back, CancellationToken.None);
        Assert.Equal(content, back);
    }

    [Fact]
    public async Task A_multi_file_torrent_with_empty_files_and_pieces_over_three_files_round_trips()
    {
        var (info, content) = Layout();
        using var storage = new TorrentStorage(info, _folder);
        await WriteAllAsync(new Stored(storage, content), Shuffled(info.PieceCount, seed: 4));
        await storage.EnsureFilesAsync(CancellationToken.None);
        storage.Flush();

        Assert.Equal(Path.Combine(_folder, "share"), storage.RootPath);
        Assert.Equal(Path.Combine(_folder, "share", "sub", "deep", "c"), storage.FilePaths[3]);
        for (var i = 0; i < info.Files.Count; i++)
        {
            var file = info.Files[i];
            Assert.Equal(content.AsSpan((int)file.Offset, (int)file.Length).ToArray(), await File.ReadAllBytesAsync(storage.FilePaths[i]));
        }

        var back = new byte[content.Length];
        await storage.ReadAsync(0, back, CancellationToken.None);
        Assert.Equal(content, back);
    }

    [Fact]
    public async Task Reads_across_file_boundaries_return_the_right_bytes()
    {
        var (info, content) = Layout();
        using var storage = new TorrentStorage(info, _folder);
        await WriteAllAsync(new Stored(storage, content), Enumerable.Range(0, info.PieceCount));

        var random = new Random(5);
        (long Offset, int Length)[] reads = [(19_990, 20), (19_999, 5002), (0, content.Length), (content.Length - 1, 1), (25_000, 0)];
        foreach (var (offset, length) in reads.Concat(Enumerable.Range(0, 200).Select(_ => Next(random, content.Length))))
        {
            var buffer = new byte[length];
            await storage.ReadAsync(offset, buffer, CancellationToken.None);
            Assert.Equal(content.AsSpan((int)offset, length).ToArray(), buffer);
        }

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => storage.ReadAsync(content.Length - 1, new byte[2], CancellationToken.None).AsTask());

        static (long, int) Next(Random random, int total)
        {
            var offset = random.Next(total);
            return (offset, random.Next(total - offset + 1));
        }
    }

    [Fact]
    public async Task Verify_is_true_for_good_pieces_and_false_after_a_byte_changes_in_place()
    {
        var (info, content) = Layout();
        using var storage = new TorrentStorage(info, _folder);
        await WriteAllAsync(new Stored(storage, content), Enumerable.Range(0, info.PieceCount));
        var buffer = new byte[PieceLength];
        for (var piece = 0; piece < info.PieceCount; piece++)
        {
            Assert.True(await storage.VerifyPieceAsync(piece, buffer, CancellationToken.None));
        }

        // Byte 23500 of the torrent is byte 500 of sub/deep/c, inside piece 1.
        FlipByte(storage.FilePaths[3], 500);

        Assert.False(await storage.VerifyPieceAsync(1, buffer, CancellationToken.None));
        Assert.True(await storage.VerifyPieceAsync(0, buffer, CancellationToken.None));
        Assert.True(await storage.VerifyPieceAsync(2, buffer, CancellationToken.None));
        Assert.Equal(2000, new FileInfo(storage.FilePaths[3]).Length);
    }

    [Fact]
    public async Task A_missing_file_fails_verification_and_reading_names_it()
    {
        var (info, content) = Layout();
        using (var writer = new TorrentStorage(info, _folder))
        {
            await WriteAllAsync(new Stored(writer, content), Enumerable.Range(0, info.PieceCount));
        }

        using var storage = new TorrentStorage(info, _folder);
        File.Delete(storage.FilePaths[2]); // sub/b, bytes 20000..22999: piece 1 only

        var buffer = new byte[PieceLength];
        Assert.False(await storage.VerifyPieceAsync(1, buffer, CancellationToken.None));
        Assert.True(await storage.VerifyPieceAsync(0, buffer, CancellationToken.None));
        var error = await Assert.ThrowsAsync<TorrentStorageException>(() => storage.ReadAsync(19_000, new byte[2000], CancellationToken.None).AsTask());
        Assert.Contains(storage.FilePaths[2], error.Message, StringComparison.Ordinal);
        Assert.False(error.IsDiskFull);
    }

    [Fact]
    public async Task A_seeded_file_replaced_by_a_fifo_fails_reading_at_once_instead_of_blocking()
    {
        var (info, content) = SingleFile("data.bin", 50_000, PieceLength);
        using (var writer = new TorrentStorage(info, _folder))
        {
            await WriteAllAsync(new Stored(writer, content), Enumerable.Range(0, info.PieceCount));
        }

        using var storage = new TorrentStorage(info, _folder);
        File.Delete(storage.FilePaths[0]);
        HostileFiles.MakeFifo(storage.FilePaths[0]);

        var error = await Assert.ThrowsAsync<TorrentStorageException>(() => storage.ReadAsync(0, new byte[1000], CancellationToken.None).AsTask())
            .WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains("is a FIFO (named pipe)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_short_file_fails_verification_and_reading()
    {
        var (info, content) = SingleFile("data.bin", 50_000, PieceLength);
        using var storage = new TorrentStorage(info, _folder);
        await WriteAllAsync(new Stored(storage, content), Enumerable.Range(0, info.PieceCount));
        using (var handle = File.OpenHandle(storage.RootPath, FileMode.Open, FileAccess.ReadWrite))
        {
            RandomAccess.SetLength(handle, 40_000);
        }

        var buffer = new byte[PieceLength];
        Assert.True(await storage.VerifyPieceAsync(1, buffer, CancellationToken.None));
        Assert.False(await storage.VerifyPieceAsync(3, buffer, CancellationToken.None));
        await Assert.ThrowsAsync<TorrentStorageException>(() => storage.ReadAsync(39_000, new byte[2000], CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task Recheck_finds_exactly_the_damaged_pieces_and_reports_each()
    {
        var (info, content) = MultiFile("big", PieceLength, 8, ("x", 100_000), ("y", 5000), ("z", 90_000));
        using var storage = new TorrentStorage(info, _folder);
        await WriteAllAsync(new Stored(storage, content), Enumerable.Range(0, info.PieceCount));
        storage.Flush();

        FlipByte(storage.FilePaths[0], 0);                // piece 0
        FlipByte(storage.FilePaths[0], 5 * PieceLength);  // piece 5
        File.Delete(storage.FilePaths[1]);                // 100000..104999: piece 6
        FlipByte(storage.FilePaths[2], 90_000 - 1);       // last byte: last piece

        var reports = new List<int>();
        var found = await storage.RecheckAsync(null, new SyncProgress(reports), CancellationToken.None);

        int[] damaged = [0, 5, 6, info.PieceCount - 1];
        Assert.Equal(Enumerable.Range(0, info.PieceCount).Except(damaged), found.SetIndexes());
        Assert.Equal(Enumerable.Range(1, info.PieceCount), reports.Order());

        var some = await storage.RecheckAsync([1, 5, 6], null, CancellationToken.None);
        Assert.Equal([1], some.SetIndexes());
    }

    [Fact]
    public async Task Recheck_of_a_torrent_with_nothing_on_disk_finds_nothing()
    {
        var (info, _) = Layout();
        using var storage = new TorrentStorage(info, _folder);
        var found = await storage.RecheckAsync(null, null, CancellationToken.None);
        Assert.True(found.IsEmpty);
        Assert.Equal(info.PieceCount, found.Length);
        Assert.False(storage.Exists());
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("a/../../b")]
    [InlineData("")]
    public void A_root_name_that_would_escape_the_folder_is_refused(string rootName)
    {
        var (info, _) = Layout();
        Assert.Throws<TorrentStorageException>(() => new TorrentStorage(info, _folder, rootName));
        var (single, _) = SingleFile("data.bin", 1000, PieceLength);
        Assert.Throws<TorrentStorageException>(() => new TorrentStorage(single, _folder, rootName));
    }

    [Fact]
    public void Unsafe_names_inside_the_torrent_are_refused()
    {
        var (info, _) = MultiFile("..", PieceLength, 1, ("a", 10));
        Assert.Throws<TorrentStorageException>(() => new TorrentStorage(info, _folder));

        var (nested, _) = MultiFile("fine", PieceLength, 1, ("sub/../../../etc/passwd", 10));
        Assert.Throws<TorrentStorageException>(() => new TorrentStorage(nested, _folder));

        var (twice, _) = MultiFile("fine", PieceLength, 1, ("a", 10), ("a", 10));
        Assert.Throws<TorrentStorageException>(() => new TorrentStorage(twice, _folder));
    }

    [Fact]
    public async Task Another_root_name_stores_the_torrent_there()
    {
        var (info, content) = Layout();
        using var storage = new TorrentStorage(info, _folder, "share (1)");
        await WriteAllAsync(new Stored(storage, content), Enumerable.Range(0, info.PieceCount));
        Assert.Equal(Path.Combine(_folder, "share (1)", "a"), storage.FilePaths[0]);
        Assert.True(File.Exists(storage.FilePaths[0]));
        Assert.False(Directory.Exists(Path.Combine(_folder, "share")));
    }

    [Fact]
    public async Task Open_handles_stay_within_the_bound()
    {
        var (info, content) = MultiFile("many", PieceLength, 9, ("1", 7000), ("2", 7000), ("3", 7000), ("4", 7000), ("5", 7000), ("6", 7000));
        using var storage = new TorrentStorage(info, _folder, maxOpenFiles: 2);
        await WriteAllAsync(new Stored(storage, content), Shuffled(info.PieceCount, seed: 6));
        Assert.InRange(storage.OpenHandleCount, 1, 2);

        storage.Flush();
        var back = new byte[content.Length];
        await storage.ReadAsync(0, back, CancellationToken.None);
        Assert.Equal(content, back);
        Assert.InRange(storage.OpenHandleCount, 1, 2);
    }

    [Fact]
    public async Task Concurrent_writes_of_all_pieces_round_trip()
    {
        var (info, content) = MultiFile("parallel", PieceLength, 10, ("a", 150_000), ("b", 1), ("c", 70_000), ("d", 33_333));
        using var storage = new TorrentStorage(info, _folder, maxOpenFiles: 2);
        await Parallel.ForEachAsync(
            Shuffled(info.PieceCount, seed: 11),
            new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (piece, token) => await storage.WritePieceAsync(piece, Piece(info, content, piece), token));

        var found = await storage.RecheckAsync(null, null, CancellationToken.None);
        Assert.True(found.IsComplete);
    }

    [Fact]
    public async Task A_piece_of_the_wrong_size_is_refused()
    {
        var (info, _) = SingleFile("data.bin", 20_000, PieceLength);
        using var storage = new TorrentStorage(info, _folder);
        await Assert.ThrowsAsync<ArgumentException>(() => storage.WritePieceAsync(1, new byte[PieceLength], CancellationToken.None).AsTask());
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => storage.WritePieceAsync(2, new byte[10], CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task Files_are_created_at_their_final_length_on_first_write()
    {
        var (info, content) = MultiFile("sparse", PieceLength, 12, ("a", 40_000), ("b", 60_000));
        using var storage = new TorrentStorage(info, _folder);
        await storage.WritePieceAsync(0, Piece(info, content, 0), CancellationToken.None);
        Assert.Equal(40_000, new FileInfo(storage.FilePaths[0]).Length);
        Assert.False(File.Exists(storage.FilePaths[1]));

        await storage.WritePieceAsync(info.PieceCount - 1, Piece(info, content, info.PieceCount - 1), CancellationToken.None);
        Assert.Equal(60_000, new FileInfo(storage.FilePaths[1]).Length);
    }

    [Fact]
    public async Task A_torrent_made_by_the_creator_is_stored_and_verified()
    {
        var source = Path.Combine(_folder, "source", "album");
        Directory.CreateDirectory(Path.Combine(source, "cd1"));
        await File.WriteAllBytesAsync(Path.Combine(source, "cd1", "01.flac"), RandomBytes(70_000, 20));
        await File.WriteAllBytesAsync(Path.Combine(source, "cover.jpg"), RandomBytes(9_000, 21));
        await File.WriteAllBytesAsync(Path.Combine(source, "empty.txt"), []);
        var (_, torrent) = TorrentCreator.Create(source, pieceLength: PieceLength);

        // Read the pieces out of the source as a peer would, write them into a fresh download folder.
        using var seed = new TorrentStorage(torrent.Info, Path.Combine(_folder, "source"));
        using var download = new TorrentStorage(torrent.Info, Path.Combine(_folder, "downloads"));
        Assert.True((await seed.RecheckAsync(null, null, CancellationToken.None)).IsComplete);
        var buffer = new byte[PieceLength];
        for (var piece = 0; piece < torrent.Info.PieceCount; piece++)
        {
            Assert.True(await seed.VerifyPieceAsync(piece, buffer, CancellationToken.None));
            await download.WritePieceAsync(piece, buffer.AsMemory(0, torrent.Info.GetPieceSize(piece)), CancellationToken.None);
        }

        await download.EnsureFilesAsync(CancellationToken.None);
        download.Flush();
        Assert.True((await download.RecheckAsync(null, null, CancellationToken.None)).IsComplete);
        Assert.Equal(0, new FileInfo(Path.Combine(_folder, "downloads", "album", "empty.txt")).Length);
        Assert.Equal(
            await File.ReadAllBytesAsync(Path.Combine(source, "cd1", "01.flac")),
            await File.ReadAllBytesAsync(Path.Combine(_folder, "downloads", "album", "cd1", "01.flac")));
    }

    [Fact]
    public async Task Flushing_after_a_written_file_was_deleted_does_not_bring_it_back()
    {
        var (info, content) = MultiFile("gone", PieceLength, 13, ("a", 20_000), ("b", 20_000));
        using var storage = new TorrentStorage(info, _folder, maxOpenFiles: 1);
        await WriteAllAsync(new Stored(storage, content), Enumerable.Range(0, info.PieceCount));
        File.Delete(storage.FilePaths[0]); // its handle was closed by the LRU (one handle only)

        storage.Flush();

        Assert.False(File.Exists(storage.FilePaths[0]));
        Assert.Equal(content.AsSpan(20_000).ToArray(), await File.ReadAllBytesAsync(storage.FilePaths[1]));
    }

    [Fact]
    public async Task After_dispose_the_storage_refuses_work()
    {
        var (info, content) = SingleFile("data.bin", 20_000, PieceLength);
        var storage = new TorrentStorage(info, _folder);
        await storage.WritePieceAsync(0, Piece(info, content, 0), CancellationToken.None);
        storage.Dispose();
        storage.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => storage.WritePieceAsync(0, Piece(info, content, 0), CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task A_link_below_the_content_folder_is_not_followed_when_writing()
    {
        var outside = Directory.CreateDirectory(Path.Combine(_folder, "outside")).FullName;
        var content = Directory.CreateDirectory(Path.Combine(_folder, "content")).FullName;
        var (info, data) = Layout();
        Directory.CreateDirectory(Path.Combine(content, "share"));
        Directory.CreateSymbolicLink(Path.Combine(content, "share", "sub"), outside);
        using var storage = new TorrentStorage(info, content);

        var error = await Assert.ThrowsAsync<TorrentStorageException>(() => storage.WritePieceAsync(1, Piece(info, data, 1), CancellationToken.None).AsTask());
        Assert.Contains("link", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
        await Assert.ThrowsAsync<TorrentStorageException>(() => storage.EnsureFilesAsync(CancellationToken.None));
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
    }

    [Fact]
    public async Task A_full_disk_is_reported_as_such_and_naming_the_file()
    {
        await using var disk = await SmallDisk.TryMountAsync(Path.Combine(_folder, "small-disk"), 1, output.WriteLine);
        if (disk is null)
        {
            return;
        }

        var (info, content) = SingleFile("big.bin", 3 * 1024 * 1024, 256 * 1024);
        using var storage = new TorrentStorage(info, disk.Path);
        var error = await Assert.ThrowsAsync<TorrentStorageException>(
            () => WriteAllAsync(new Stored(storage, content), Enumerable.Range(0, info.PieceCount)));
        Assert.True(error.IsDiskFull);
        Assert.Equal(storage.RootPath, error.FilePath);
        Assert.Contains("full", error.Message, StringComparison.Ordinal);
        storage.Dispose();
    }

    private sealed class SyncProgress(List<int> reports) : IProgress<int>
    {
        public void Report(int value)
        {
            lock (reports)
            {
                reports.Add(value);
            }
        }
    }
}
