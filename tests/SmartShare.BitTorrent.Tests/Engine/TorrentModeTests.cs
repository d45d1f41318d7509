using Microsoft.Extensions.Time.Testing;
using SmartShare.BitTorrent.Engine;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.Storage;

namespace SmartShare.BitTorrent.Tests.Engine;

/// <summary>
/// The session's lifecycle as modes, on a fake clock over real loopback sockets: checking → downloading → seeding,
/// a stop (pause) from either, a new session resuming in the right mode, and data already complete going straight
/// to seeding. The clock is moved in steps while the session works, so its tick runs in each mode; every wait has a
/// limit.
/// </summary>
public sealed class TorrentModeTests
{
    private const int PieceLength = 64 * 1024;
    private const int Pieces = 4;
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_download_goes_from_checking_to_downloading_to_seeding()
    {
        await using var kit = new EngineTestKit();
        var time = new FakeTimeProvider();
        var (torrent, source, content) = await ContentAsync(kit);
        var seeder = kit.Client(time: time);
        await kit.SeedAsync(seeder, torrent, source);
        var downloads = kit.Folder("downloads");

        var session = kit.Client(time: time).Add(torrent, kit.Storage(torrent, downloads), resume: null);
        var states = new StateLog(session);
        Assert.Equal(TorrentState.Checking, session.State);
        Assert.Equal("CheckingMode", session.ModeName);

        await session.StartAsync(CancellationToken.None);
        Assert.Equal(TorrentState.Downloading, session.State);
        Assert.Equal("DownloadingMode", session.ModeName);
        Assert.Equal([TorrentState.Downloading], states.Seen);

        session.AddPeers([seeder.LocalEndPoint]);
        await time.AdvanceUntilAsync(session.Completed, Second, atMost: TimeSpan.FromMinutes(5));
        await session.Completed;

        Assert.Equal(TorrentState.Seeding, session.State);
        Assert.Equal("SeedingMode", session.ModeName);
        Assert.Equal([TorrentState.Downloading, TorrentState.Seeding], states.Seen);
        Assert.True(kit.LogHas("download complete; seeding"));
        Assert.Equal(content.Length, session.Progress.VerifiedBytes);
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(downloads, "data.bin")));
    }

    [Fact]
    public async Task Data_already_complete_goes_from_checking_straight_to_seeding()
    {
        await using var kit = new EngineTestKit();
        var time = new FakeTimeProvider();
        var (torrent, source, _) = await ContentAsync(kit);
        var resume = ResumeStore.Open(Path.Combine(kit.Root, "resume.db"), time);
        resume.Save(torrent.InfoHash, All(torrent));

        var session = kit.Client(time: time).Add(torrent, kit.Storage(torrent, source), resume);
        var states = new StateLog(session);
        Assert.Equal(TorrentState.Checking, session.State);
        await session.StartAsync(CancellationToken.None);

        // The recorded pieces are hashed again on disk, all match, and the session seeds without downloading.
        Assert.True(kit.LogHas($"checking {Pieces} recorded pieces"));
        Assert.Equal(TorrentState.Seeding, session.State);
        Assert.Equal([TorrentState.Seeding], states.Seen);
        Assert.True(session.Completed.IsCompletedSuccessfully);
        Assert.Equal(Pieces, session.Progress.PiecesHave);

        // Its ticks seed on: nothing changes its mode.
        await time.AdvanceInStepsAsync(TimeSpan.FromSeconds(15), Second);
        Assert.Equal([TorrentState.Seeding], states.Seen);
        Assert.False(kit.LogHas("download complete"));
    }

    [Fact]
    public async Task A_paused_download_stops_and_a_resumed_one_downloads_only_the_rest_then_seeds()
    {
        await using var kit = new EngineTestKit();
        var time = new FakeTimeProvider();
        var (torrent, source, content) = await ContentAsync(kit);
        var seeder = kit.Client(time: time);
        await kit.SeedAsync(seeder, torrent, source);
        var downloads = kit.Folder("downloads");
        var resume = ResumeStore.Open(Path.Combine(kit.Root, "resume.db"), time);

        // An earlier run verified and recorded the first two pieces.
        var recorded = new Bitfield(Pieces);
        using (var storage = new TorrentStorage(torrent.Info, downloads))
        {
            for (var piece = 0; piece < 2; piece++)
            {
                await storage.WritePieceAsync(piece, content.AsMemory(piece * PieceLength, PieceLength), CancellationToken.None);
                recorded[piece] = true;
            }

            storage.Flush();
        }

        resume.Save(torrent.InfoHash, recorded);

        var client = kit.Client(time: time);
        using (var storage = new TorrentStorage(torrent.Info, downloads))
        {
            var paused = client.Add(torrent, storage, resume);
            var states = new StateLog(paused);
            await paused.StartAsync(CancellationToken.None);
            Assert.Equal(TorrentState.Downloading, paused.State);
            Assert.Equal(2, paused.Progress.PiecesHave);

            // No peers: the downloading mode's ticks find nobody to ask, and the mode stays.
            await time.AdvanceInStepsAsync(TimeSpan.FromSeconds(5), Second);
            Assert.Equal([TorrentState.Downloading], states.Seen);

            // Pausing is disposing the session: it stops, its Completed is cancelled, and it stays stopped.
            await client.RemoveAsync(torrent.InfoHash);
            Assert.Equal(TorrentState.Stopped, paused.State);
            Assert.Equal("StoppedMode", paused.ModeName);
            Assert.Null(paused.Progress.Error);
            Assert.Equal([TorrentState.Downloading, TorrentState.Stopped], states.Seen);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => paused.Completed.WaitAsync(Patience));
            await time.AdvanceInStepsAsync(TimeSpan.FromSeconds(5), Second);
            Assert.Equal([TorrentState.Downloading, TorrentState.Stopped], states.Seen);
        }

        // Resuming is a new session: it checks what was recorded, downloads the rest, then seeds.
        var resumed = client.Add(torrent, kit.Storage(torrent, downloads), resume);
        var again = new StateLog(resumed);
        await resumed.StartAsync(CancellationToken.None);
        Assert.Equal(TorrentState.Downloading, resumed.State);
        Assert.Equal(2, resumed.Progress.PiecesHave);
        resumed.AddPeers([seeder.LocalEndPoint]);
        await time.AdvanceUntilAsync(resumed.Completed, Second, atMost: TimeSpan.FromMinutes(5));
        await resumed.Completed;

        Assert.Equal([TorrentState.Downloading, TorrentState.Seeding], again.Seen);
        Assert.Equal(2L * PieceLength, resumed.Progress.Downloaded);
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(downloads, "data.bin")));
    }

    [Fact]
    public async Task A_stopped_seed_stays_stopped_and_a_resumed_one_seeds_again()
    {
        await using var kit = new EngineTestKit();
        var time = new FakeTimeProvider();
        var (torrent, source, _) = await ContentAsync(kit);
        var resume = ResumeStore.Open(Path.Combine(kit.Root, "resume.db"), time);
        var client = kit.Client(time: time);

        using (var storage = new TorrentStorage(torrent.Info, source))
        {
            // A new share: the caller hashed the pieces itself, so the session seeds at once and records them.
            var seed = client.Add(torrent, storage, resume);
            var states = new StateLog(seed);
            await seed.StartAsync(CancellationToken.None, All(torrent));
            Assert.Equal(TorrentState.Seeding, seed.State);

            await client.RemoveAsync(torrent.InfoHash);
            Assert.Equal(TorrentState.Stopped, seed.State);
            Assert.Equal([TorrentState.Seeding, TorrentState.Stopped], states.Seen);
            await time.AdvanceInStepsAsync(TimeSpan.FromSeconds(5), Second);
            Assert.Equal([TorrentState.Seeding, TorrentState.Stopped], states.Seen);
            await Assert.ThrowsAsync<ObjectDisposedException>(() => seed.StartAsync(CancellationToken.None));
        }

        Assert.True(resume.Load(torrent.InfoHash, Pieces)?.IsComplete);
        var resumed = client.Add(torrent, kit.Storage(torrent, source), resume);
        var again = new StateLog(resumed);
        await resumed.StartAsync(CancellationToken.None);
        Assert.Equal(TorrentState.Seeding, resumed.State);
        Assert.Equal([TorrentState.Seeding], again.Seen);
        Assert.True(resumed.Completed.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_piece_that_cannot_be_written_stops_the_download_with_the_error()
    {
        await using var kit = new EngineTestKit();
        var time = new FakeTimeProvider();
        var (torrent, source, _) = await ContentAsync(kit);
        var seeder = kit.Client(time: time);
        await kit.SeedAsync(seeder, torrent, source);

        // A folder where the file should go: the first verified piece cannot be written.
        var downloads = kit.Folder("downloads");
        Directory.CreateDirectory(Path.Combine(downloads, "data.bin"));
        var session = kit.Client(time: time).Add(torrent, kit.Storage(torrent, downloads), resume: null);
        var states = new StateLog(session);
        await session.StartAsync(CancellationToken.None);
        session.AddPeers([seeder.LocalEndPoint]);
        await time.AdvanceUntilAsync(session.Completed, Second, atMost: TimeSpan.FromMinutes(5));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => session.Completed);
        Assert.Equal(TorrentState.Stopped, session.State);
        Assert.Equal("ErrorMode", session.ModeName);
        Assert.Contains("data.bin", session.Progress.Error);
        Assert.Equal([TorrentState.Downloading, TorrentState.Stopped], states.Seen);
    }

    [Fact]
    public void A_stopped_session_can_only_go_on_to_report_an_error()
    {
        var stopped = new StoppedMode();
        var failed = new ErrorMode("disk full");

        Assert.False(stopped.CanSwitchTo(new DownloadingMode()));
        Assert.True(stopped.CanSwitchTo(failed));
        Assert.False(failed.CanSwitchTo(new StoppedMode()));
        Assert.False(failed.CanSwitchTo(new ErrorMode("again")));
        Assert.Equal(TorrentState.Stopped, failed.State);
        Assert.Equal("disk full", failed.Error);
        Assert.False(stopped.RequestsPieces || stopped.AcceptsUploads || stopped.AcceptsPeers);

        var downloading = new DownloadingMode();
        Assert.True(downloading.RequestsPieces && downloading.AcceptsUploads && downloading.AcceptsPeers);
        Assert.False(downloading.IsComplete);
        Assert.True(downloading.CanSwitchTo(stopped));
    }

    private static async Task<(Torrent Torrent, string Source, byte[] Content)> ContentAsync(EngineTestKit kit)
    {
        var source = kit.Folder("seed");
        var content = EngineTestKit.RandomBytes(Pieces * PieceLength);
        await File.WriteAllBytesAsync(Path.Combine(source, "data.bin"), content);
        var (_, torrent) = TorrentCreator.Create(Path.Combine(source, "data.bin"), pieceLength: PieceLength);
        return (torrent, source, content);
    }

    private static Bitfield All(Torrent torrent)
    {
        var all = new Bitfield(torrent.Info.PieceCount);
        all.SetAll();
        return all;
    }

    /// <summary>The states a session's <see cref="TorrentSession.StateChanged"/> reported, in order.</summary>
    private sealed class StateLog
    {
        private readonly List<TorrentState> _seen = [];

        public StateLog(TorrentSession session) => session.StateChanged += s =>
        {
            lock (_seen)
            {
                _seen.Add(s.State);
            }
        };

        public TorrentState[] Seen
        {
            get
            {
                lock (_seen)
                {
                    return [.. _seen];
                }
            }
        }
    }
}
