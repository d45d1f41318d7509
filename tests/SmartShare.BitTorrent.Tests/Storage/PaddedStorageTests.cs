using SmartShare.BitTorrent.Storage;
using static SmartShare.BitTorrent.Tests.Storage.TestTorrents;

namespace SmartShare.BitTorrent.Tests.Storage;

/// <summary>A hybrid torrent's padding: never written to disk, read back as the zeros its piece hashes cover.</summary>
public sealed class PaddedStorageTests : IDisposable
{
    private const int PieceLength = 16 * 1024;

    private readonly string _folder = Directory.CreateTempSubdirectory("smartshare-padded-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Pieces_across_padding_store_only_the_files_and_verify_on_a_recheck(bool incompleteNames)
    {
        var (info, content) = Padded("set", PieceLength, 7, ("a", 20_000), ("sub/b", 30_000), ("c", 5));
        Assert.Equal(3 * 2 * PieceLength - PieceLength, info.TotalLength); // 2 + 2 + 1 pieces
        using (var storage = new TorrentStorage(info, _folder, incompleteNames: incompleteNames))
        {
            await WriteAllAsync(new Stored(storage, content), Shuffled(info.PieceCount, seed: 2));
            await storage.EnsureFilesAsync(CancellationToken.None);
            if (incompleteNames)
            {
                storage.TakeFinalNames();
            }

            storage.Flush();

            var all = new byte[content.Length];
            await storage.ReadAsync(0, all, CancellationToken.None);
            Assert.Equal(content, all);
        }

        var root = Path.Combine(_folder, "set");
        Assert.Equal(
            ["a", "c", Path.Combine("sub", "b")],
            Directory.GetFiles(root, "*", SearchOption.AllDirectories).Select(path => Path.GetRelativePath(root, path)).Order(StringComparer.Ordinal));
        Assert.Equal(content.AsSpan(0, 20_000).ToArray(), File.ReadAllBytes(Path.Combine(root, "a")));
        Assert.Equal(content.AsSpan(2 * PieceLength, 30_000).ToArray(), File.ReadAllBytes(Path.Combine(root, "sub", "b")));
        Assert.Equal(content.AsSpan(4 * PieceLength, 5).ToArray(), File.ReadAllBytes(Path.Combine(root, "c")));

        using var again = new TorrentStorage(info, _folder);
        var verified = await again.RecheckAsync(null, null, CancellationToken.None);
        Assert.Equal(info.PieceCount, Enumerable.Range(0, info.PieceCount).Count(piece => verified[piece]));
    }

    [Fact]
    public async Task A_read_inside_padding_only_is_zeros_without_touching_a_file()
    {
        var (info, _) = Padded("set", PieceLength, 8, ("a", 100), ("b", 100));
        using var storage = new TorrentStorage(info, _folder);
        var buffer = new byte[PieceLength - 200];
        Array.Fill(buffer, (byte)0xff);

        await storage.ReadAsync(200, buffer, CancellationToken.None);

        Assert.All(buffer, value => Assert.Equal(0, value));
        Assert.False(Directory.Exists(Path.Combine(_folder, "set")));
    }
}
