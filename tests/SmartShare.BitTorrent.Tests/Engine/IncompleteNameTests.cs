using SmartShare.BitTorrent.Engine;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.Storage;
using SmartShare.Networking;

namespace SmartShare.BitTorrent.Tests.Engine;

/// <summary>
/// A downloading torrent's files carry <see cref="TorrentStorage.IncompleteSuffix"/> until every piece verifies, then
/// take their final names, never replacing a file that is not the torrent's. Real files, real loopback sessions.
/// </summary>
public sealed class IncompleteNameTests
{
    private const int PieceLength = 64 * 1024;
    private const string Part = TorrentStorage.IncompleteSuffix;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_file_downloads_under_its_incomplete_name_and_takes_its_final_name_once_complete()
    {
        await using var kit = new EngineTestKit();
        var (torrent, source, content) = await SingleFileAsync(kit, 4 * 1024 * 1024);
        var seeder = kit.Client(o => o.UploadLimiter = new ByteRateLimiter(1024 * 1024, TimeProvider.System));
        await kit.SeedAsync(seeder, torrent, source);
        var downloads = kit.Folder("downloads");
        var final = Path.Combine(downloads, "data.bin");

        var session = kit.Client().Add(torrent, kit.Storage(torrent, downloads, incompleteNames: true), resume: null);
        await session.StartAsync(CancellationToken.None);
        session.AddPeers([seeder.LocalEndPoint]);
        await EngineTestKit.WaitAsync(() => session.Progress.PiecesHave >= 4, Limit, "a few pieces");
        Assert.False(session.Completed.IsCompleted, "the download finished too soon; slow the seeder down");
        Assert.False(File.Exists(final));
        Assert.True(File.Exists(final + Part));
        Assert.Equal(final + Part, session.Storage.CurrentPath(0));

        await HostilePeerTests.CompletedAsync(kit, session);
        Assert.Equal(content, await File.ReadAllBytesAsync(final));
        Assert.False(File.Exists(final + Part));
        Assert.True(session.Storage.IsAtFinalName(0));
    }

    [Fact]
    public async Task Every_file_of_a_multi_file_torrent_is_incomplete_until_the_torrent_completes()
    {
        await using var kit = new EngineTestKit();
        var source = kit.Folder("seed");
        var album = Directory.CreateDirectory(Path.Combine(source, "album", "disc 1")).FullName;

        // Sizes that are not multiples of the piece length, so pieces span two files, and an empty file.
        var contents = new Dictionary<string, byte[]>
        {
            [Path.Combine("disc 1", "a.flac")] = EngineTestKit.RandomBytes((900 * 1024) + 13),
            [Path.Combine("disc 1", "b.flac")] = EngineTestKit.RandomBytes((700 * 1024) + 101),
            ["cover.jpg"] = EngineTestKit.RandomBytes(3000),
            ["empty.txt"] = [],
        };
        foreach (var (name, bytes) in contents)
        {
            await File.WriteAllBytesAsync(Path.Combine(source, "album", name), bytes);
        }

        Assert.True(Directory.Exists(album));
        var (_, torrent) = TorrentCreator.Create(Path.Combine(source, "album"), pieceLength: PieceLength);
        var seeder = kit.Client(o => o.UploadLimiter = new ByteRateLimiter(256 * 1024, TimeProvider.System));
        await kit.SeedAsync(seeder, torrent, source);
        var downloads = kit.Folder("downloads");
        var root = Path.Combine(downloads, "album");

        var session = kit.Client().Add(torrent, kit.Storage(torrent, downloads, incompleteNames: true), resume: null);
        await session.StartAsync(CancellationToken.None);
        session.AddPeers([seeder.LocalEndPoint]);
        await EngineTestKit.WaitAsync(() => session.Progress.PiecesHave >= 3, Limit, "a few pieces");
        Assert.False(session.Completed.IsCompleted, "the download finished too soon; slow the seeder down");
        foreach (var name in contents.Keys)
        {
            Assert.False(File.Exists(Path.Combine(root, name)), $"{name} is at its final name while the torrent downloads");
        }

        Assert.NotEmpty(Directory.GetFiles(root, "*" + Part, SearchOption.AllDirectories));

        await HostilePeerTests.CompletedAsync(kit, session);
        foreach (var (name, bytes) in contents)
        {
            Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(root, name)));
        }

        Assert.Empty(Directory.GetFiles(root, "*" + Part, SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_download_stopped_halfway_resumes_from_its_incomplete_files()
    {
        await using var kit = new EngineTestKit();
        var (torrent, source, content) = await SingleFileAsync(kit, 4 * 1024 * 1024);
        var pieces = torrent.Info.PieceCount;
        var seeder = kit.Client(o => o.UploadLimiter = new ByteRateLimiter(1024 * 1024, TimeProvider.System));
        await kit.SeedAsync(seeder, torrent, source);
        var resume = ResumeStore.Open(Path.Combine(kit.Root, "resume.db"));
        var downloads = kit.Folder("downloads");
        var final = Path.Combine(downloads, "data.bin");

        var first = kit.Client();
        using (var storage = new TorrentStorage(torrent.Info, downloads, incompleteNames: true))
        {
            var session = first.Add(torrent, storage, resume);
            await session.StartAsync(CancellationToken.None);
            session.AddPeers([seeder.LocalEndPoint]);
            await EngineTestKit.WaitAsync(() => session.Progress.PiecesHave >= pieces / 4, Limit, "a quarter of the pieces");
            await first.RemoveAsync(torrent.InfoHash);
        }

        var recorded = resume.Load(torrent.InfoHash, pieces);
        Assert.NotNull(recorded);
        Assert.False(recorded.IsComplete, "the first run finished before it was stopped; slow the seeder down");
        Assert.False(File.Exists(final));
        Assert.True(File.Exists(final + Part));

        var restarted = kit.Client().Add(torrent, kit.Storage(torrent, downloads, incompleteNames: true), resume);
        await restarted.StartAsync(CancellationToken.None);
        Assert.Equal(recorded.Count, restarted.Progress.PiecesHave);
        Assert.False(File.Exists(final));
        restarted.AddPeers([seeder.LocalEndPoint]);
        await HostilePeerTests.CompletedAsync(kit, restarted);

        Assert.Equal(content, await File.ReadAllBytesAsync(final));
        Assert.False(File.Exists(final + Part));
        Assert.Equal((long)(pieces - recorded.Count) * PieceLength, restarted.Progress.Downloaded);
    }

    [Fact]
    public async Task A_download_of_a_release_without_the_suffix_resumes_from_its_final_name()
    {
        await using var kit = new EngineTestKit();
        var (torrent, source, content) = await SingleFileAsync(kit, 4 * 1024 * 1024);
        var pieces = torrent.Info.PieceCount;
        var seeder = kit.Client(o => o.UploadLimiter = new ByteRateLimiter(1024 * 1024, TimeProvider.System));
        await kit.SeedAsync(seeder, torrent, source);
        var resume = ResumeStore.Open(Path.Combine(kit.Root, "resume.db"));
        var downloads = kit.Folder("downloads");
        var final = Path.Combine(downloads, "data.bin");

        // The earlier release wrote straight to the final name.
        var first = kit.Client();
        using (var storage = new TorrentStorage(torrent.Info, downloads))
        {
            var session = first.Add(torrent, storage, resume);
            await session.StartAsync(CancellationToken.None);
            session.AddPeers([seeder.LocalEndPoint]);
            await EngineTestKit.WaitAsync(() => session.Progress.PiecesHave >= pieces / 4, Limit, "a quarter of the pieces");
            await first.RemoveAsync(torrent.InfoHash);
        }

        var recorded = resume.Load(torrent.InfoHash, pieces);
        Assert.NotNull(recorded);
        Assert.False(recorded.IsComplete, "the first run finished before it was stopped; slow the seeder down");
        Assert.True(File.Exists(final));

        var restarted = kit.Client().Add(torrent, kit.Storage(torrent, downloads, incompleteNames: true), resume);
        await restarted.StartAsync(CancellationToken.None);
        Assert.Equal(recorded.Count, restarted.Progress.PiecesHave);
        Assert.False(File.Exists(final), "the torrent's own partial file stays at its final name while it downloads");
        Assert.True(File.Exists(final + Part));
        restarted.AddPeers([seeder.LocalEndPoint]);
        await HostilePeerTests.CompletedAsync(kit, restarted);

        Assert.Equal(content, await File.ReadAllBytesAsync(final));
        Assert.False(File.Exists(final + Part));
    }

    [Fact]
    public async Task A_file_that_is_not_the_torrents_at_the_final_name_is_never_overwritten()
    {
        await using var kit = new EngineTestKit();
        var (torrent, source, content) = await SingleFileAsync(kit, (1024 * 1024) + 5);
        var seeder = kit.Client();
        await kit.SeedAsync(seeder, torrent, source);
        var downloads = kit.Folder("downloads");
        var final = Path.Combine(downloads, "data.bin");
        byte[] mine = [1, 2, 3];
        await File.WriteAllBytesAsync(final, mine);

        var session = kit.Client().Add(torrent, kit.Storage(torrent, downloads, incompleteNames: true), resume: null);
        var stopped = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        session.StateChanged += s =>
        {
            if (s.State == TorrentState.Stopped)
            {
                stopped.TrySetResult(s.Progress.Error);
            }
        };
        await session.StartAsync(CancellationToken.None);
        Assert.Equal(final + Part, session.Storage.CurrentPath(0));
        session.AddPeers([seeder.LocalEndPoint]);

        var error = await stopped.Task.WaitAsync(Limit);
        Assert.NotNull(error);
        Assert.Contains("not this torrent's", error, StringComparison.Ordinal);
        Assert.Contains(final, error, StringComparison.Ordinal);
        Assert.Equal(mine, await File.ReadAllBytesAsync(final));
        Assert.Equal(content, await File.ReadAllBytesAsync(final + Part));
    }

    [Fact]
    public async Task A_complete_torrent_seeded_from_its_final_names_keeps_them()
    {
        await using var kit = new EngineTestKit();
        var (torrent, source, content) = await SingleFileAsync(kit, 300 * 1024);
        var session = kit.Client().Add(torrent, kit.Storage(torrent, source, incompleteNames: true), resume: null);
        var all = new Bitfield(torrent.Info.PieceCount);
        all.SetAll();
        await session.StartAsync(CancellationToken.None, all);

        Assert.Equal(TorrentState.Seeding, session.State);
        Assert.True(session.Storage.IsAtFinalName(0));
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(source, "data.bin")));
        Assert.False(File.Exists(Path.Combine(source, "data.bin" + Part)));
    }

    private static async Task<(Torrent Torrent, string Source, byte[] Content)> SingleFileAsync(EngineTestKit kit, int length)
    {
        var source = kit.Folder("seed");
        var content = EngineTestKit.RandomBytes(length);
        await File.WriteAllBytesAsync(Path.Combine(source, "data.bin"), content);
        var (_, torrent) = TorrentCreator.Create(Path.Combine(source, "data.bin"), pieceLength: PieceLength);
        return (torrent, source, content);
    }
}
