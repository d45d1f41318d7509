using Microsoft.Extensions.Time.Testing;
using SmartShare.BitTorrent.Engine;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.PeerWire;

namespace SmartShare.BitTorrent.Tests.Engine;

/// <summary>
/// How often a seeding session ticks, on a fake clock: every <see cref="TorrentSessionOptions.IdleSeedTickInterval"/>
/// (5 s) while no peer is connected, every second from the first tick that finds one, and every 5 s again once it has
/// gone. The session's tick timer runs on a clock of the test's (<see cref="TorrentSessionOptions.TickTime"/>) that
/// notes when it fires: the fake clock fires it while the test moves it, so the times are exact.
/// </summary>
public sealed class IdleSeedTickTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_seed_ticks_every_five_seconds_without_a_peer_and_every_second_with_one()
    {
        await using var kit = new EngineTestKit();
        var time = new FakeTimeProvider();
        var ticks = new TickClock(time);
        var source = kit.Folder("seed");
        await File.WriteAllBytesAsync(Path.Combine(source, "data.bin"), EngineTestKit.RandomBytes(128 * 1024));
        var (_, torrent) = TorrentCreator.Create(Path.Combine(source, "data.bin"), pieceLength: 64 * 1024);
        var client = kit.Client(options => options.TickTime = ticks, time);
        var session = await kit.SeedAsync(client, torrent, source);
        Assert.Equal(TorrentState.Seeding, session.State);
        Assert.Equal(TimeSpan.FromSeconds(5), new TorrentSessionOptions().IdleSeedTickInterval);
        await EngineTestKit.WaitAsync(() => ticks.Created == 1, Patience, "the session's tick timer");

        // The first tick, a second in, finds no peer: the next ones come every 5 s.
        time.Advance(Second);
        await EngineTestKit.WaitAsync(() => ticks.Period == TimeSpan.FromSeconds(5), Patience, "the tick to slow down");
        Advance(time, 15);
        Assert.Equal([1, 6, 11, 16], ticks.Fired);

        // A peer connects: the next tick (at 21 s) finds it, and from there the session ticks every second.
        await using (var peer = await RawPeer.ConnectAsync(client.LocalEndPoint, torrent.InfoHash, PeerCapabilities.Fast))
        {
            await EngineTestKit.WaitAsync(() => session.ConnectedPeers.Count == 1, Patience, "the peer to be connected");
            Advance(time, 4);
            Assert.Equal([1, 6, 11, 16], ticks.Fired);
            Advance(time, 1);
            await EngineTestKit.WaitAsync(() => ticks.Period == Second, Patience, "the tick to speed up");
            Advance(time, 3);
            Assert.Equal([1, 6, 11, 16, 21, 22, 23, 24], ticks.Fired);
        }

        // It goes: the next tick finds none, and the one after comes 5 s later.
        await EngineTestKit.WaitAsync(() => session.ConnectedPeers.Count == 0, Patience, "the peer to be gone");
        Advance(time, 1);
        await EngineTestKit.WaitAsync(() => ticks.Period == TimeSpan.FromSeconds(5), Patience, "the tick to slow down again");
        Advance(time, 10);
        Assert.Equal([1, 6, 11, 16, 21, 22, 23, 24, 25, 30, 35], ticks.Fired);
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
