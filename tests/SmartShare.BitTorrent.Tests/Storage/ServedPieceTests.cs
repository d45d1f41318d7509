using SmartShare.BitTorrent.Storage;
using static SmartShare.BitTorrent.Tests.Storage.TestTorrents;

namespace SmartShare.BitTorrent.Tests.Storage;

/// <summary>
/// A piece read to serve it is hashed the first time in a run and trusted after that while the files it covers keep
/// their stamps; a change behind the node's back sends the pieces of the changed file through the hash again.
/// </summary>
public sealed class ServedPieceTests : IDisposable
{
    private const int PieceLength = 16 * 1024;

    private readonly string _folder = Directory.CreateTempSubdirectory("smartshare-served-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task A_piece_is_hashed_when_first_served_and_trusted_after_that()
    {
        var (info, content) = SingleFile("film.bin", 5 * PieceLength, PieceLength, seed: 3);
        using var storage = new TorrentStorage(info, _folder);
        await WriteAllAsync(new Stored(storage, content), Enumerable.Range(0, info.PieceCount));
        var buffer = new byte[PieceLength];

        Assert.True(await storage.ReadServedPieceAsync(2, buffer, CancellationToken.None));
        Assert.Equal(Piece(info, content, 2), buffer);
        Assert.Equal(1, storage.PiecesHashed);

        Array.Clear(buffer);
        Assert.True(await storage.ReadServedPieceAsync(2, buffer, CancellationToken.None));
        Assert.Equal(Piece(info, content, 2), buffer);
        Assert.Equal(1, storage.PiecesHashed);
        Assert.Equal(1, storage.PiecesServedTrusted);

        // Another piece has its own first check.
        Assert.True(await storage.ReadServedPieceAsync(4, buffer, CancellationToken.None));
        Assert.Equal(2, storage.PiecesHashed);
    }

    [Fact]
    public async Task A_piece_checked_before_its_file_changed_is_hashed_again_even_after_another_piece_saw_the_new_stamp()
    {
        var (info, content) = SingleFile("show.bin", 5 * PieceLength, PieceLength, seed: 4);
        using var storage = new TorrentStorage(info, _folder);
        await WriteAllAsync(new Stored(storage, content), Enumerable.Range(0, info.PieceCount));
        var buffer = new byte[PieceLength];
        Assert.True(await storage.ReadServedPieceAsync(0, buffer, CancellationToken.None));

        // The file is touched (its time moves on; its bytes stay), then piece 4 is checked against the new stamp.
        File.SetLastWriteTimeUtc(storage.FilePaths[0], File.GetLastWriteTimeUtc(storage.FilePaths[0]).AddSeconds(5));
        Assert.True(await storage.ReadServedPieceAsync(4, buffer, CancellationToken.None));
        Assert.Equal(2, storage.PiecesHashed);

        // Piece 0 was checked before the change: the new stamp vouches for piece 4 only.
        Assert.True(await storage.ReadServedPieceAsync(0, buffer, CancellationToken.None));
        Assert.Equal(3, storage.PiecesHashed);
        Assert.True(await storage.ReadServedPieceAsync(0, buffer, CancellationToken.None));
        Assert.True(await storage.ReadServedPieceAsync(4, buffer, CancellationToken.None));
        Assert.Equal(3, storage.PiecesHashed);
        Assert.Equal(2, storage.PiecesServedTrusted);
    }

    [Fact]
    public async Task A_file_changed_behind_the_nodes_back_has_its_pieces_hashed_again_and_a_damaged_one_refused()
    {
        // File a holds pieces 0 and the start of 1; file b the rest of 1, and 2 and 3.
        var (info, content) = MultiFile("seed", PieceLength, 30, ("a", 30_000), ("b", 30_000));
        using var storage = new TorrentStorage(info, _folder);
        await WriteAllAsync(new Stored(storage, content), Enumerable.Range(0, info.PieceCount));
        var buffer = new byte[PieceLength];
        foreach (var piece in new[] { 0, 1, 3 })
        {
            Assert.True(await storage.ReadServedPieceAsync(piece, buffer, CancellationToken.None));
        }

        Assert.Equal(3, storage.PiecesHashed);

        // A byte of piece 3 changed in file b; its time is moved on explicitly, as a clock tick may be coarser than
        // the write.
        var b = storage.FilePaths[1];
        var written = File.GetLastWriteTimeUtc(b);
        FlipByte(b, 50_010 - 30_000);
        File.SetLastWriteTimeUtc(b, written.AddSeconds(5));

        Assert.False(await storage.ReadServedPieceAsync(3, buffer, CancellationToken.None));
        Assert.Equal(4, storage.PiecesHashed);
        Assert.True(await storage.ReadServedPieceAsync(1, buffer, CancellationToken.None)); // covers b: hashed again, still good
        Assert.Equal(Piece(info, content, 1), buffer);
        Assert.Equal(5, storage.PiecesHashed);
        Assert.True(await storage.ReadServedPieceAsync(0, buffer, CancellationToken.None)); // only in a: still trusted
        Assert.Equal(5, storage.PiecesHashed);

        // The damaged piece is never trusted: every serve hashes it and refuses it.
        Assert.False(await storage.ReadServedPieceAsync(3, buffer, CancellationToken.None));
        Assert.Equal(6, storage.PiecesHashed);

        // A truncation changes the length: piece 1, trusted again since its last check, is hashed and refused.
        Assert.True(await storage.ReadServedPieceAsync(1, buffer, CancellationToken.None));
        Assert.Equal(6, storage.PiecesHashed);
        using (var handle = File.OpenHandle(b, FileMode.Open, FileAccess.ReadWrite))
        {
            RandomAccess.SetLength(handle, 100);
        }

        Assert.False(await storage.ReadServedPieceAsync(1, buffer, CancellationToken.None));
        Assert.Equal(7, storage.PiecesHashed);
    }
}
