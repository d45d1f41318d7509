using SmartShare.BitTorrent.Engine;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.Storage;

namespace SmartShare.BitTorrent.Tests.Engine;

/// <summary>File selection through real sessions on loopback: done with the wanted files, wanting more, restart.</summary>
public sealed class FileSelectionSessionTests
{
    private const int PieceLength = 64 * 1024;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    private static readonly (string Name, int Length)[] Files =
        [("a.bin", 300_000), ("b.bin", 500_000), ("c.bin", 70_000), ("d.bin", 400_000)];

    private static FileSelection Want(params bool[] wanted) =>
        new([.. wanted.Select(w => w ? TorrentFilePriority.Normal : TorrentFilePriority.Off)]);

    private static string[] OnDisk(string folder) =>
        [.. Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(folder, f)).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task A_download_of_two_files_is_done_seeds_restarts_trusting_its_pieces_and_completes_a_file_wanted_later()
    {
        await using var kit = new EngineTestKit();
        var source = Path.Combine(kit.Folder("seed"), "pack");
        Directory.CreateDirectory(source);
        var contents = new Dictionary<string, byte[]>();
        foreach (var (name, length) in Files)
        {
            contents[name] = EngineTestKit.RandomBytes(length);
            await File.WriteAllBytesAsync(Path.Combine(source, name), contents[name]);
        }

        var (_, torrent) = TorrentCreator.Create(source, pieceLength: PieceLength);
        var seeder = kit.Client();
        await kit.SeedAsync(seeder, torrent, Path.GetDirectoryName(source)!);
        var resume = ResumeStore.Open(Path.Combine(kit.Root, "resume.db"));
        var downloads = kit.Folder("downloads");
        var side = TorrentStorage.SideFileName(torrent.InfoHash);
        var selection = Want(true, false, true, false); // a and c: b's first and last pieces straddle both

        var first = kit.Client(o => o.Files = selection);
        using (var storage = new TorrentStorage(torrent.Info, downloads, incompleteNames: true))
        {
            var session = first.Add(torrent, storage, resume);
            await session.StartAsync(CancellationToken.None);
            session.AddPeers([seeder.LocalEndPoint]);
            await EngineTestKit.WaitAsync(() => session.State == TorrentState.Seeding, Limit, "the wanted files");
            var progress = session.Progress;
            Assert.True(progress.PiecesHave < torrent.Info.PieceCount);
            Assert.Equal(progress.WantedBytes, progress.WantedVerifiedBytes);
            Assert.True(progress.WantedBytes < torrent.Info.TotalLength);
            Assert.Equal([side, Path.Combine("pack", "a.bin"), Path.Combine("pack", "c.bin")], OnDisk(downloads));
            await first.RemoveAsync(torrent.InfoHash);
        }

        Assert.Equal(contents["a.bin"], await File.ReadAllBytesAsync(Path.Combine(downloads, "pack", "a.bin")));
        Assert.Equal(contents["c.bin"], await File.ReadAllBytesAsync(Path.Combine(downloads, "pack", "c.bin")));
        var recorded = resume.Load(torrent.InfoHash, torrent.Info.PieceCount)!;

        // Restart with the same selection: every recorded piece (the straddling ones too) still checks; then b is wanted.
        var second = kit.Client(o => o.Files = selection);
        var restarted = second.Add(torrent, kit.Storage(torrent, downloads, incompleteNames: true), resume);
        await restarted.StartAsync(CancellationToken.None);
        Assert.Equal(TorrentState.Seeding, restarted.State);
        Assert.Equal(recorded.Count, restarted.Progress.PiecesHave);

        restarted.AddPeers([seeder.LocalEndPoint]);
        await restarted.SelectFilesAsync(Want(true, true, true, false) with { Sequential = true }, CancellationToken.None);
        Assert.NotEqual(TorrentState.Seeding, restarted.State);
        await EngineTestKit.WaitAsync(() => restarted.State == TorrentState.Seeding, Limit, "b as well");
        Assert.Equal(contents["b.bin"], await File.ReadAllBytesAsync(Path.Combine(downloads, "pack", "b.bin")));
        Assert.Equal([side, Path.Combine("pack", "a.bin"), Path.Combine("pack", "b.bin"), Path.Combine("pack", "c.bin")], OnDisk(downloads));

        // The last file too: the side file's bytes go into d, and it is deleted.
        await restarted.SelectFilesAsync(Want(true, true, true, true), CancellationToken.None);
        await restarted.Completed.WaitAsync(Limit);
        await EngineTestKit.WaitAsync(() => restarted.Progress.PiecesHave == torrent.Info.PieceCount, Limit, "every piece");
        await EngineTestKit.WaitAsync(() => restarted.State == TorrentState.Seeding, Limit, "seeding whole");
        foreach (var (name, _) in Files)
        {
            Assert.Equal(contents[name], await File.ReadAllBytesAsync(Path.Combine(downloads, "pack", name)));
        }

        Assert.False(File.Exists(Path.Combine(downloads, side)));
    }
}
