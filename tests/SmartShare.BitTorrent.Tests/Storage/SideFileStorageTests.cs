using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.Storage;
using static SmartShare.BitTorrent.Tests.Storage.TestTorrents;

namespace SmartShare.BitTorrent.Tests.Storage;

public sealed class SideFileStorageTests : IDisposable
{
    private const int PieceLength = 16 * 1024;
    private const string Side = ".0123456789abcdef0123456789abcdef01234567.parts";

    private readonly string _folder = Directory.CreateTempSubdirectory("smartshare-side-").FullName;

    // a = 0..19999 (pieces 0-1), b = 20000..49999 (pieces 1-3), c = 50000..59999 (piece 3): pieces 1 and 3 straddle.
    private static (TorrentInfo Info, byte[] Content) Layout() =>
        MultiFile("t", PieceLength, 11, ("a", 20_000), ("sub/b", 30_000), ("c", 10_000));

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static Bitfield Pieces(int count, params int[] set)
    {
        var bits = new Bitfield(count);
        foreach (var piece in set)
        {
            bits[piece] = true;
        }

        return bits;
    }

    private string[] FilesOnDisk() =>
        [.. Directory.EnumerateFiles(_folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(_folder, f)).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task Straddling_pieces_keep_their_unwanted_bytes_in_the_side_file_verify_read_back_survive_a_restart_and_move_on_rewant()
    {
        var (info, content) = Layout();
        var have = Pieces(info.PieceCount, 0, 1, 3);
        using (var storage = new TorrentStorage(info, _folder, incompleteNames: true))
        {
            await storage.SelectFilesAsync([true, false, true], () => null, Side, CancellationToken.None);
            Assert.True(storage.IsInSideFile(1));
            foreach (var piece in new[] { 3, 0, 1 })
            {
                await storage.WritePieceAsync(piece, Piece(info, content, piece), CancellationToken.None);
            }

            await storage.EnsureFilesAsync(CancellationToken.None);
            storage.Flush();

            // Only the wanted files (under their download names) and the side file: b and its folder never appear.
            Assert.Equal([Side, Path.Combine("t", "a.part"), Path.Combine("t", "c.part")], FilesOnDisk());
            Assert.False(Directory.Exists(Path.Combine(_folder, "t", "sub")));
            var buffer = new byte[PieceLength];
            Assert.True(await storage.VerifyPieceAsync(1, buffer, CancellationToken.None));
            Assert.True(await storage.VerifyPieceAsync(3, buffer, CancellationToken.None));
            Assert.False(await storage.VerifyPieceAsync(2, buffer, CancellationToken.None));

            var back = new byte[PieceLength];
            await storage.ReadAsync(PieceLength, back, CancellationToken.None);
            Assert.Equal(Piece(info, content, 1), back);

            // Done with its selection: the wanted files take their final names, the side file stays.
            storage.TakeFinalNames(have);
            Assert.Equal([Side, Path.Combine("t", "a"), Path.Combine("t", "c")], FilesOnDisk());
        }

        // A restart: the same selection finds the straddling pieces' bytes where they were.
        using (var restarted = new TorrentStorage(info, _folder, incompleteNames: true))
        {
            await restarted.SelectFilesAsync([true, false, true], () => have, Side, CancellationToken.None);
            var rechecked = await restarted.RecheckAsync([0, 1, 3], null, CancellationToken.None);
            Assert.Equal(3, rechecked.Count);

            // Wanting b: its bytes move out of the side file into b (whose download name appears), the side file goes.
            await restarted.SelectFilesAsync([true, true, true], () => have, Side, CancellationToken.None);
            Assert.False(restarted.IsInSideFile(1));
            Assert.False(File.Exists(Path.Combine(_folder, Side)));
            Assert.Equal(3, (await restarted.RecheckAsync([0, 1, 3], null, CancellationToken.None)).Count);
            await restarted.WritePieceAsync(2, Piece(info, content, 2), CancellationToken.None);
            restarted.TakeFinalNames(Pieces(info.PieceCount, 0, 1, 2, 3));
        }

        Assert.Equal([Path.Combine("t", "a"), Path.Combine("t", "c"), Path.Combine("t", "sub", "b")], FilesOnDisk());
        for (var i = 0; i < info.Files.Count; i++)
        {
            var file = info.Files[i];
            var path = Path.Combine([_folder, "t", .. file.Path]);
            Assert.Equal(content.AsSpan((int)file.Offset, (int)file.Length).ToArray(), await File.ReadAllBytesAsync(path));
        }
    }

    [Fact]
    public async Task A_file_unwanted_after_it_was_written_stays_where_it_is()
    {
        var (info, content) = Layout();
        using var storage = new TorrentStorage(info, _folder, incompleteNames: true);
        await storage.SelectFilesAsync([true, true, true], () => null, Side, CancellationToken.None);
        await storage.WritePieceAsync(1, Piece(info, content, 1), CancellationToken.None);
        await storage.SelectFilesAsync([true, false, true], () => null, Side, CancellationToken.None);
        Assert.False(storage.IsInSideFile(1));
        await storage.WritePieceAsync(3, Piece(info, content, 3), CancellationToken.None);
        storage.Flush();

        Assert.Equal([Path.Combine("t", "a.part"), Path.Combine("t", "c.part"), Path.Combine("t", "sub", "b.part")], FilesOnDisk());
        var buffer = new byte[PieceLength];
        Assert.True(await storage.VerifyPieceAsync(1, buffer, CancellationToken.None));
        Assert.True(await storage.VerifyPieceAsync(3, buffer, CancellationToken.None));
    }

    [Fact]
    public async Task The_side_file_name_cannot_leave_the_folder()
    {
        var (info, _) = Layout();
        using var storage = new TorrentStorage(info, _folder, incompleteNames: true);
        await Assert.ThrowsAsync<TorrentStorageException>(
            () => storage.SelectFilesAsync([true, false, true], () => null, "../escape.parts", CancellationToken.None));
    }
}
