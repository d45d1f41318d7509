using Microsoft.Extensions.Time.Testing;
using SmartShare.BitTorrent.Engine;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.PeerWire;

namespace SmartShare.BitTorrent.Tests.Engine;

/// <summary>
/// How often a seeding session ticks, on a fake clock: every <see cref="TorrentSessionOptions.IdleSeedTickInterval"/>
/// (30 s) while no peer is connected, every second from the moment one joins (the join sets the tick back), and every
/// 30 s again from the first tick that finds it gone. The session's tick timer runs on a clock of the test's
/// (<see cref="TorrentSessionOptions.TickTime"/>) that notes when it fires: the fake clock fires it while the test
/// moves it, so the times are exact.
/// </summary>
public sealed class IdleSeedTickTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_seed_ticks_every_30_seconds_without_a_peer_and_every_second_from_the_moment_one_joins()
    {
        await using var kit = new EngineTestKit();
        var time = new FakeTimeProvider();
        var ticks = new TickClock(time);
        var (client, torrent, session) = await StartIdleSeedAsync(kit, time, ticks);
        Assert.Equal(Idle, new TorrentSessionOptions().IdleSeedTickInterval);
        Advance(time, 70);
        Assert.Equal([1, 31, 61], ticks.Fired);

        // A peer connects at 71 s, 20 s before the next idle tick: the session ticks a second after it joined, and
        // every second from there.
        await using (var peer = await RawPeer.ConnectAsync(client.LocalEndPoint, torrent.InfoHash, PeerCapabilities.Fast))
        {
            await EngineTestKit.WaitAsync(() => session.ConnectedPeers.Count == 1, Patience, "the peer to be connected");
            Assert.Equal(Second, ticks.Period);
            Advance(time, 3);
            Assert.Equal([1, 31, 61, 72, 73, 74], ticks.Fired);
        }

        // It goes: the next tick finds none, and the one after comes 30 s later.
        await EngineTestKit.WaitAsync(() => session.ConnectedPeers.Count == 0, Patience, "the peer to be gone");
        Advance(time, 1);
        await EngineTestKit.WaitAsync(() => ticks.Period == Idle, Patience, "the tick to slow down again");
        Advance(time, 60);
        Assert.Equal([1, 31, 61, 72, 73, 74, 75, 105, 135], ticks.Fired);
    }

    [Fact]
    public async Task An_idle_seed_wakes_when_a_redial_is_due_rather_than_at_its_next_idle_tick()
    {
        await using var kit = new EngineTestKit();
        var time = new FakeTimeProvider();
        var ticks = new TickClock(time);
        var (_, _, session) = await StartIdleSeedAsync(kit, time, ticks);

        // A peer to dial that refuses (a port nothing listens on): the failed dial's redial is due 15 s later.
        var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        var refusing = (System.Net.IPEndPoint)closed.LocalEndpoint;
        closed.Stop();
        session.AddPeers([refusing]);
        await EngineTestKit.WaitAsync(() => ticks.Period == TimeSpan.FromSeconds(15), Patience, "the failed dial to set the tick to its redial");

        // The seed ticks (and dials again) at 16 s, not at its idle 31 s, and then sleeps its idle period again.
        Advance(time, 15);
        Assert.Equal([1, 16], ticks.Fired);
        await EngineTestKit.WaitAsync(() => ticks.Period == Idle, Patience, "the tick to slow down again");
        Advance(time, 30);
        Assert.Equal([1, 16, 46], ticks.Fired);
    }

    // A seed of a small torrent whose first tick, a second in, found no peer: the next ones come every 30 s.
    private static async Task<(BitTorrentClient Client, Torrent Torrent, TorrentSession Session)> StartIdleSeedAsync(
        EngineTestKit kit, FakeTimeProvider time, TickClock ticks)
    {
        var source = kit.Folder("seed");
        await File.WriteAllBytesAsync(Path.Combine(source, "data.bin"), EngineTestKit.RandomBytes(128 * 1024));
        var (_, torrent) = TorrentCreator.Create(Path.Combine(source, "data.bin"), pieceLength: 64 * 1024);
        var client = kit.Client(options => options.TickTime = ticks, time);
        var session = await kit.SeedAsync(client, torrent, source);
        Assert.Equal(TorrentState.Seeding, session.State);
        await EngineTestKit.WaitAsync(() => ticks.Created == 1, Patience, "the session's tick timer");
        time.Advance(Second);
        await EngineTestKit.WaitAsync(() => ticks.Period == Idle, Patience, "the tick to slow down");
        return (client, torrent, session);
    }

    // Moves the clock a second at a time.
    private static void Advance(FakeTimeProvider time, int seconds)
    {
        for (var i = 0; i < seconds; i++)
        {
            time.Advance(Second);
        }
    }

    /// <summary>The fake clock, for the tick's timer: notes the period it was last given and when (whole seconds from the start) it fired.</summary>
    private sealed class TickClock(FakeTimeProvider time) : TimeProvider
    {
        private readonly DateTimeOffset _start = time.GetUtcNow();
        private readonly List<int> _fired = [];
        private TimeSpan _period;
        private int _created;

        public int Created => Volatile.Read(ref _created);

        public TimeSpan Period
        {
            get
            {
                lock (_fired)
                {
                    return _period;
                }
            }
        }

        public List<int> Fired
        {
            get
            {
                lock (_fired)
                {
                    return [.. _fired];
                }
            }
        }

        public override DateTimeOffset GetUtcNow() => time.GetUtcNow();

        public override long GetTimestamp() => time.GetTimestamp();

        public override long TimestampFrequency => time.TimestampFrequency;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            SetPeriod(period);
            var timer = new Noted(this, time.CreateTimer(
                s =>
                {
                    lock (_fired)
                    {
                        _fired.Add((int)(time.GetUtcNow() - _start).TotalSeconds);
                    }

                    callback(s);
                },
                state,
                dueTime,
                period));
            Interlocked.Increment(ref _created);
            return timer;
        }

        private void SetPeriod(TimeSpan period)
        {
            lock (_fired)
            {
                _period = period;
            }
        }

        private sealed class Noted(TickClock owner, ITimer inner) : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period)
            {
                owner.SetPeriod(period);
                return inner.Change(dueTime, period);
            }

            public void Dispose() => inner.Dispose();

            public ValueTask DisposeAsync() => inner.DisposeAsync();
        }
    }
}
