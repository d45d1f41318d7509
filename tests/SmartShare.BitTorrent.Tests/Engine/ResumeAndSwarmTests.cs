using SmartShare.BitTorrent.Engine;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.Storage;
using SmartShare.Networking;

namespace SmartShare.BitTorrent.Tests.Engine;

public sealed class ResumeAndSwarmTests
{
    private const int PieceLength = 64 * 1024;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    private static async Task<(Torrent Torrent, string Source, byte[] Content)> ContentAsync(EngineTestKit kit, int length)
    {
        var source = kit.Folder("seed");
        var content = EngineTestKit.RandomBytes(length);
        await File.WriteAllBytesAsync(Path.Combine(source, "data.bin"), content);
        var (_, torrent) = TorrentCreator.Create(Path.Combine(source, "data.bin"), pieceLength: PieceLength);
        return (torrent, source, content);
    }

    [Fact]
    public async Task A_piece_damaged_on_disk_after_a_complete_download_is_fetched_again_on_restart()
    {
        await using var kit = new EngineTestKit();
        var (torrent, source, content) = await ContentAsync(kit, (2 * 1024 * 1024) + 777);
        var seeder = kit.Client();
        await kit.SeedAsync(seeder, torrent, source);
        var resume = ResumeStore.Open(Path.Combine(kit.Root, "resume.db"));
        var downloads = kit.Folder("downloads");
        var file = Path.Combine(downloads, "data.bin");

        var first = kit.Client();
        using (var storage = new TorrentStorage(torrent.Info, downloads))
        {
            var session = first.Add(torrent, storage, resume);
            await session.StartAsync(CancellationToken.None);
            session.AddPeers([seeder.LocalEndPoint]);
            await HostilePeerTests.CompletedAsync(kit, session);
            await first.RemoveAsync(torrent.InfoHash);
        }

        Assert.True(resume.Load(torrent.InfoHash, torrent.Info.PieceCount)?.IsComplete);
        var middle = content.Length / 2;
        await using (var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = middle;
            stream.WriteByte((byte)~content[middle]);
        }

        Assert.Equal(content.Length, new FileInfo(file).Length);

        var second = kit.Client();
        var restarted = second.Add(torrent, kit.Storage(torrent, downloads), resume);
        await restarted.StartAsync(CancellationToken.None);
        Assert.Equal(TorrentState.Downloading, restarted.State);
        Assert.False(restarted.HasRange(middle, 1));
        Assert.Equal(torrent.Info.PieceCount - 1, restarted.Progress.PiecesHave);
        restarted.AddPeers([seeder.LocalEndPoint]);
        await HostilePeerTests.CompletedAsync(kit, restarted);

        Assert.Equal(content, await File.ReadAllBytesAsync(file));
        Assert.Equal(PieceLength, restarted.Progress.Downloaded);
        Assert.True(resume.Load(torrent.InfoHash, torrent.Info.PieceCount)?.IsComplete);
    }

    [Fact]
    public async Task A_download_stopped_halfway_resumes_with_only_the_missing_pieces()
    {
        await using var kit = new EngineTestKit();
        var (torrent, source, content) = await ContentAsync(kit, 4 * 1024 * 1024);
        var total = content.Length;
        var pieces = torrent.Info.PieceCount;

        // A slow seeder, so the first run can be stopped halfway.
        var seeder = kit.Client(o => o.UploadLimiter = new ByteRateLimiter(2 * 1024 * 1024, TimeProvider.System));
        await kit.SeedAsync(seeder, torrent, source);
        var resume = ResumeStore.Open(Path.Combine(kit.Root, "resume.db"));
        var downloads = kit.Folder("downloads");

        var first = kit.Client();
        using (var storage = new TorrentStorage(torrent.Info, downloads))
        {
            var session = first.Add(torrent, storage, resume);
            await session.StartAsync(CancellationToken.None);
            session.AddPeers([seeder.LocalEndPoint]);
            await EngineTestKit.WaitAsync(() => session.Progress.PiecesHave >= pieces / 2, Limit, "half the pieces");
            await first.RemoveAsync(torrent.InfoHash);
        }

        var recorded = resume.Load(torrent.InfoHash, pieces);
        Assert.NotNull(recorded);
        Assert.True(recorded.Count >= pieces / 2, $"only {recorded.Count} of {pieces} pieces recorded");
        Assert.False(recorded.IsComplete, "the first run finished before it was stopped; slow the seeder down");
        var missingBytes = (long)(pieces - recorded.Count) * PieceLength; // every piece is whole here

        var second = kit.Client();
        var restarted = second.Add(torrent, kit.Storage(torrent, downloads), resume);
        await restarted.StartAsync(CancellationToken.None);
        Assert.Equal(recorded.Count, restarted.Progress.PiecesHave);
        restarted.AddPeers([seeder.LocalEndPoint]);
        await HostilePeerTests.CompletedAsync(kit, restarted);

        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(downloads, "data.bin")));
        Assert.Equal(missingBytes, restarted.Progress.Downloaded);
        Assert.True(restarted.Progress.Downloaded < total);
    }

    [Fact]
    public async Task Pieces_are_recorded_as_they_verify_while_the_download_runs()
    {
        await using var kit = new EngineTestKit();
        var (torrent, source, _) = await ContentAsync(kit, 16 * 1024 * 1024);
        var pieces = torrent.Info.PieceCount;

        // 1 MiB/s after a 1 MiB burst: a quarter is in after about 3 s, the whole only after about 15 s.
        var seeder = kit.Client(o => o.UploadLimiter = new ByteRateLimiter(1024 * 1024, TimeProvider.System));
        await kit.SeedAsync(seeder, torrent, source);
        var resume = ResumeStore.Open(Path.Combine(kit.Root, "resume.db"));

        // The periodic save is pushed out of reach after its first: only recording on verification can keep up.
        var client = kit.Client(o => o.ResumeSaveInterval = TimeSpan.FromHours(1));
        var session = client.Add(torrent, kit.Storage(torrent, kit.Folder("downloads")), resume);
        await session.StartAsync(CancellationToken.None);
        session.AddPeers([seeder.LocalEndPoint]);
        await EngineTestKit.WaitAsync(() => session.Progress.PiecesHave >= pieces / 4, Limit, "a quarter of the pieces");
        var have = session.Progress.PiecesHave;

        await EngineTestKit.WaitAsync(
            () => resume.Load(torrent.InfoHash, pieces)?.Count >= have, TimeSpan.FromSeconds(5), $"{have} pieces recorded while downloading");
        Assert.False(session.Progress.PiecesHave == pieces, "the download finished first; slow the seeder down");
        await client.RemoveAsync(torrent.InfoHash);
    }

    [Fact]
    public async Task A_client_given_its_own_address_does_not_ban_loopback_and_still_downloads_and_serves()
    {
        await using var kit = new EngineTestKit();
        var (torrent, source, content) = await ContentAsync(kit, (1024 * 1024) + 5);
        var seeder = kit.Client();
        await kit.SeedAsync(seeder, torrent, source);

        var client = kit.Client(o => o.RedialDelay = TimeSpan.FromMilliseconds(200));
        var downloads = kit.Folder("downloads");
        var session = client.Add(torrent, kit.Storage(torrent, downloads), resume: null);
        await session.StartAsync(CancellationToken.None);

        // Its own address first: the handshake shows our own peer id and the connection is refused, not banned.
        session.AddPeers([client.LocalEndPoint, seeder.LocalEndPoint]);
        await HostilePeerTests.CompletedAsync(kit, session);
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(downloads, "data.bin")));
        Assert.DoesNotContain(session.ConnectedPeers, p => p.Port == client.LocalEndPoint.Port);
        Assert.False(HostilePeerTests.LogHas(kit, "banned"));

        // 127.0.0.1 is still welcome: another leecher downloads from it alone (the first seeder is gone).
        await seeder.DisposeAsync();
        var other = kit.Client();
        var otherDownloads = kit.Folder("other");
        var otherSession = other.Add(torrent, kit.Storage(torrent, otherDownloads), resume: null);
        await otherSession.StartAsync(CancellationToken.None);
        otherSession.AddPeers([client.LocalEndPoint]);
        await HostilePeerTests.CompletedAsync(kit, otherSession);
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(otherDownloads, "data.bin")));
    }

    [Fact]
    public async Task One_seeder_serves_three_leechers_started_together()
    {
        await using var kit = new EngineTestKit();
        var (torrent, source, content) = await ContentAsync(kit, (3 * 1024 * 1024) + 4321);
        var seeder = kit.Client(o => o.UploadLimiter = new ByteRateLimiter(4 * 1024 * 1024, TimeProvider.System));
        var seed = await kit.SeedAsync(seeder, torrent, source);

        var clients = Enumerable.Range(0, 3).Select(_ => kit.Client()).ToList();
        var sessions = new List<TorrentSession>();
        for (var i = 0; i < clients.Count; i++)
        {
            var session = clients[i].Add(torrent, kit.Storage(torrent, kit.Folder($"leecher{i}")), resume: null);
            await session.StartAsync(CancellationToken.None);
            sessions.Add(session);
        }

        for (var i = 0; i < clients.Count; i++)
        {
            sessions[i].AddPeers([seeder.LocalEndPoint, .. clients.Where((_, j) => j != i).Select(c => c.LocalEndPoint)]);
        }

        foreach (var session in sessions)
        {
            await HostilePeerTests.CompletedAsync(kit, session);
        }

        for (var i = 0; i < clients.Count; i++)
        {
            Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(kit.Root, $"leecher{i}", "data.bin")));
        }

        Assert.True(seed.Progress.Uploaded >= content.Length, $"the seeder uploaded {seed.Progress.Uploaded} of {content.Length}");
        Assert.Equal(TorrentState.Seeding, seed.State);
    }
}
