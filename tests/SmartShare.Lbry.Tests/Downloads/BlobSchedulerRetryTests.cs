using System.Net;
using SmartShare.Lbry.BlobExchange;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Downloads;

namespace SmartShare.Lbry.Tests.Downloads;

/// <summary>
/// A peer that stops answering (a partition) is dropped after MaxPeerFailures, but only until the network may be
/// back: it is asked again once its ban has passed when no other peer is left, or at once when a search names it again.
/// A peer that sent bad data never comes back.
/// </summary>
public sealed class BlobSchedulerRetryTests
{
    private static readonly IPEndPoint Seeder = new(IPAddress.Parse("10.78.1.1"), 4444);
    private static readonly DateTimeOffset Start = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_only_peer_dropped_for_timeouts_is_asked_again_after_its_ban()
    {
        var scheduler = new BlobScheduler(BlobHash.Compute([1, 2, 3]), new StreamDownloadOptions { MaxPeerFailures = 3 });
        scheduler.AddPeer(Seeder);
        var now = FailUntilDropped(scheduler, 3);

        Assert.Equal(0, scheduler.PeerCounts().Known);
        Assert.Null(scheduler.AcquirePeer(now));

        // The third failure banned it for 9 s: until then nothing is asked, after it the peer is back.
        Assert.Null(scheduler.AcquirePeer(now + TimeSpan.FromSeconds(8)));
        var again = scheduler.AcquirePeer(now + TimeSpan.FromSeconds(9));
        Assert.NotNull(again);
        Assert.Equal(Seeder, again.EndPoint);

        // One more failure drops it again, banned as long: a bounded retry, not a tight loop.
        scheduler.Failed(null, again, BlobExchangeFailure.ConnectFailed, "no answer", now + TimeSpan.FromSeconds(9));
        scheduler.ReleasePeer(again);
        Assert.Null(scheduler.AcquirePeer(now + TimeSpan.FromSeconds(17)));
        Assert.NotNull(scheduler.AcquirePeer(now + TimeSpan.FromSeconds(18)));
    }

    [Fact]
    public void A_peer_dropped_for_timeouts_is_asked_again_when_a_search_finds_it_again()
    {
        var other = new IPEndPoint(IPAddress.Parse("10.78.1.2"), 4444);
        var scheduler = new BlobScheduler(BlobHash.Compute([4, 5, 6]), new StreamDownloadOptions { MaxPeerFailures = 2, MaxConnectionsPerPeer = 1 });
        scheduler.AddPeer(other);
        var busy = scheduler.AcquirePeer(Start);
        Assert.Equal(other, busy?.EndPoint);
        scheduler.AddPeer(Seeder);
        FailUntilDropped(scheduler, 2);
        Assert.Equal(1, scheduler.PeerCounts().Known);

        Assert.False(scheduler.AddPeer(Seeder));

        Assert.Equal(2, scheduler.PeerCounts().Known);
        Assert.Contains(scheduler.Peers(), peer => peer.EndPoint.Equals(Seeder));
    }

    [Fact]
    public void A_peer_that_sent_a_corrupt_blob_never_comes_back()
    {
        var scheduler = new BlobScheduler(BlobHash.Compute([7, 8, 9]), new StreamDownloadOptions());
        scheduler.AddPeer(Seeder);
        var peer = scheduler.AcquirePeer(Start)!;
        scheduler.Failed(null, peer, BlobExchangeFailure.CorruptBlob, "bad hash", Start);
        scheduler.ReleasePeer(peer);

        scheduler.AddPeer(Seeder);

        Assert.Equal(0, scheduler.PeerCounts().Known);
        Assert.Null(scheduler.AcquirePeer(Start + TimeSpan.FromHours(1)));
    }

    // Fails connections to the one peer free to take them until it is dropped; returns the time of the last failure.
    private static DateTimeOffset FailUntilDropped(BlobScheduler scheduler, int failures)
    {
        var now = Start;
        for (var i = 0; i < failures; i++)
        {
            DownloadPeer? peer;
            while ((peer = scheduler.AcquirePeer(now)) is null)
            {
                now += TimeSpan.FromSeconds(1);
            }

            scheduler.Failed(null, peer, BlobExchangeFailure.TimedOut, "no answer within 30 s", now);
            scheduler.ReleasePeer(peer);
        }

        return now;
    }
}
