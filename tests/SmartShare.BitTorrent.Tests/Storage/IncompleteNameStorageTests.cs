using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.Storage;
using static SmartShare.BitTorrent.Tests.Storage.TestTorrents;

namespace SmartShare.BitTorrent.Tests.Storage;

/// <summary>The storage side of incomplete names: where files go, what is refused, and reads across the rename.</summary>
public sealed class IncompleteNameStorageTests : IDisposable
{
    private const int PieceLength = 16 * 1024;
    private const string Part = TorrentStorage.IncompleteSuffix;

    private readonly string _folder = Directory.CreateTempSubdirectory("smartshare-incomplete-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Pieces_go_to_the_incomplete_names_and_reads_follow_the_files_to_their_final_names()
    {
        // Piece 1 covers the end of a and the start of b: shared pieces are written to both incomplete files.
        var (info, content) = MultiFile("set", PieceLength, 5, ("a", 20_000), ("sub/b", 30_000), ("empty", 0));
        using var storage = new TorrentStorage(info, _folder, incompleteNames: true);
        var a = Path.Combine(_folder, "set", "a");
        var b = Path.Combine(_folder, "set", "sub", "b");
        Assert.Equal([a, b, Path.Combine(_folder, "set", "empty")], storage.FilePaths);
        Assert.Equal(a + Part, storage.CurrentPath(0));
        Assert.True(storage.IsAtFinalName(2));

        await WriteAllAsync(new Stored(storage, content), Shuffled(info.PieceCount, seed: 1));
        storage.Flush();
        Assert.True(File.Exists(a + Part) && File.Exists(b + Part));
        Assert.False(File.Exists(a) || File.Exists(b));

        var before = new byte[content.Length];
        await storage.ReadAsync(0, before, CancellationToken.None);
        Assert.Equal(content, before);

        await storage.EnsureFilesAsync(CancellationToken.None);
        storage.TakeFinalNames();
        Assert.False(File.Exists(a + Part) || File.Exists(b + Part));
        Assert.True(File.Exists(Path.Combine(_folder, "set", "empty")));
        var after = new byte[content.Length];
        await storage.ReadAsync(0, after, CancellationToken.None);
        Assert.Equal(content, after);
        Assert.Equal((await File.ReadAllBytesAsync(a)).Concat(await File.ReadAllBytesAsync(b)), content);
    }

    [Fact]
    public void A_storage_reopened_finds_each_file_under_the_name_it_has_on_disk()
    {
        var (info, _) = MultiFile("set", PieceLength, 5, ("old", 20_000), ("new", 20_000), ("none", 20_000));
        Directory.CreateDirectory(Path.Combine(_folder, "set"));
        File.WriteAllBytes(Path.Combine(_folder, "set", "old"), [1]);
        File.WriteAllBytes(Path.Combine(_folder, "set", "new" + Part), [2]);

        using var storage = new TorrentStorage(info, _folder, incompleteNames: true);
        Assert.True(storage.IsAtFinalName(0));
        Assert.Equal(Path.Combine(_folder, "set", "new" + Part), storage.CurrentPath(1));
        Assert.Equal(Path.Combine(_folder, "set", "none" + Part), storage.CurrentPath(2));

        // "old" holds no verified piece: it is not the torrent's, so it is left where it is and the download goes beside it.
        storage.BeginIncomplete(new Bitfield(info.PieceCount));
        Assert.Equal(Path.Combine(_folder, "set", "old" + Part), storage.CurrentPath(0));
        Assert.Equal([1], File.ReadAllBytes(Path.Combine(_folder, "set", "old")));
    }

    [Fact]
    public async Task A_final_name_taken_by_another_file_fails_the_rename_and_keeps_both_files()
    {
        var (info, content) = SingleFile("movie.mkv", 50_000, PieceLength);
        using var storage = new TorrentStorage(info, _folder, incompleteNames: true);
        await WriteAllAsync(new Stored(storage, content), Enumerable.Range(0, info.PieceCount));
        storage.Flush();
        var final = Path.Combine(_folder, "movie.mkv");
        File.WriteAllText(final, "mine");

        var error = Assert.Throws<TorrentStorageException>(storage.TakeFinalNames);
        Assert.Contains("not this torrent's", error.Message, StringComparison.Ordinal);
        Assert.Equal(final, error.FilePath);
        Assert.Equal("mine", File.ReadAllText(final));
        Assert.Equal(content, await File.ReadAllBytesAsync(final + Part));
    }

    [Fact]
    public void Names_that_cannot_carry_the_suffix_are_refused_only_when_it_is_used()
    {
        var (clash, _) = MultiFile("set", PieceLength, 5, ("a", 100), ("a" + Part, 100));
        var error = Assert.Throws<TorrentStorageException>(() => new TorrentStorage(clash, _folder, incompleteNames: true));
        Assert.Contains("another file", error.Message, StringComparison.Ordinal);
        using (new TorrentStorage(clash, _folder))
        {
        }

        var (longName, _) = SingleFile(new string('x', 253), 100, PieceLength);
        var tooLong = Assert.Throws<TorrentStorageException>(() => new TorrentStorage(longName, _folder, incompleteNames: true));
        Assert.Contains("longer than a file name", tooLong.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Storage_without_incomplete_names_never_renames_a_file()
    {
        var (info, _) = SingleFile("shared.bin", 100, PieceLength);
        var path = Path.Combine(_folder, "shared.bin");
        File.WriteAllBytes(path, new byte[100]);
        using var storage = new TorrentStorage(info, _folder);
        Assert.Equal(path, storage.CurrentPath(0));
        storage.BeginIncomplete(new Bitfield(info.PieceCount));
        storage.TakeFinalNames();
        Assert.True(File.Exists(path));
        Assert.False(File.Exists(path + Part));
    }
}
