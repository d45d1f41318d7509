using System.Net;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Downloads;
using SmartShare.Lbry.Streams;

namespace SmartShare.Lbry.Tests.Downloads;

/// <summary>
/// The order a stream's blobs are asked in: the lowest missing first (the file is written in order), the last blob
/// right after it (a player's first request waits for the stream's length, which only the last blob tells), then
/// the rest in order; a range a streaming reader waits on jumps the queue.
/// </summary>
public sealed class BlobSchedulerOrderTests
{
    private static readonly IPEndPoint Seeder = new(IPAddress.Parse("10.78.1.1"), 4444);
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Asks_for_the_first_blob_then_the_last_then_the_rest_in_order()
    {
        var scheduler = Scheduler(blobs: 6, have: _ => false);
        var peer = scheduler.AcquirePeer(Now)!;

        Assert.Equal([0, 5, 1, 2, 3, 4], Picks(scheduler, peer, 6));
        Assert.Null(scheduler.Pick(peer, Now + TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void A_resumed_download_asks_for_its_lowest_missing_blob_then_the_last()
    {
        var scheduler = Scheduler(blobs: 6, have: blob => blob.BlobNum < 2);
        var peer = scheduler.AcquirePeer(Now)!;

        Assert.Equal([2, 5, 3, 4], Picks(scheduler, peer, 4));
    }

    [Fact]
    public void A_range_a_reader_waits_on_comes_before_the_last_blob()
    {
        var scheduler = Scheduler(blobs: 8, have: _ => false);
        scheduler.Prioritize(3, 4);
        var peer = scheduler.AcquirePeer(Now)!;

        Assert.Equal([3, 4, 0, 7, 1], Picks(scheduler, peer, 5));
    }

    [Fact]
    public void A_stream_of_one_blob_is_asked_for_once()
    {
        var scheduler = Scheduler(blobs: 1, have: _ => false);
        var peer = scheduler.AcquirePeer(Now)!;

        Assert.Equal([0], Picks(scheduler, peer, 1));
        Assert.Null(scheduler.Pick(peer, Now));
    }

    [Fact]
    public void Blobs_past_the_writers_window_are_held_back_until_the_writer_moves_on()
    {
        var scheduler = Scheduler(blobs: 10, have: _ => false);
        scheduler.SetHorizon(3);
        var peer = scheduler.AcquirePeer(Now)!;

        // The last blob is not held back: a player needs the stream's length first.
        Assert.Equal([0, 9, 1, 2], Picks(scheduler, peer, 4));
        Assert.Null(scheduler.Pick(peer, Now, out var heldBack));
        Assert.True(heldBack);

        // No duplicate of a blob in flight meanwhile, even once one is slow; nor a second connection.
        Assert.Null(scheduler.Pick(peer, Now + TimeSpan.FromMinutes(1), out heldBack));
        Assert.True(heldBack);
        Assert.Null(scheduler.AcquirePeer(Now));

        scheduler.SetHorizon(5);
        Assert.Equal([3, 4], Picks(scheduler, peer, 2));
        Assert.Null(scheduler.Pick(peer, Now, out heldBack));
        Assert.True(heldBack);

        // A range a reader waits on is asked for whatever the window.
        scheduler.Prioritize(7, 7);
        Assert.Equal(7, scheduler.Pick(peer, Now)?.Index);
    }

    [Fact]
    public void With_nothing_past_the_window_left_a_peer_is_not_held_back()
    {
        var scheduler = Scheduler(blobs: 3, have: _ => false);
        scheduler.SetHorizon(8);
        var peer = scheduler.AcquirePeer(Now)!;

        Assert.Equal([0, 2, 1], Picks(scheduler, peer, 3));
        Assert.Null(scheduler.Pick(peer, Now, out var heldBack));
        Assert.False(heldBack);
    }

    [Fact]
    public void Until_the_first_blob_arrives_only_it_and_the_last_are_asked_for()
    {
        var scheduler = Scheduler(blobs: 8, have: _ => false, startRequests: new StreamDownloadOptions().StartRequests);
        var peer = scheduler.AcquirePeer(Now)!;
        var first = scheduler.Pick(peer, Now)!;
        var last = scheduler.Pick(peer, Now)!;
        Assert.Equal((0, 7), (first.Index, last.Index));

        // The connection stays open and waits; no other opens meanwhile; the writer's window is not what held it.
        Assert.Null(scheduler.Pick(peer, Now, out var heldBack));
        Assert.True(heldBack);
        Assert.Null(scheduler.AcquirePeer(Now));
        Assert.Equal(0, scheduler.HeldBackPicks);
        Assert.True(scheduler.StartGatedPicks > 0);

        // A range a reader waits on goes out at once.
        scheduler.Prioritize(3, 3);
        Assert.Equal(3, scheduler.Pick(peer, Now)?.Index);

        // The last blob in (often small, so first), the first blob still goes alone.
        Assert.True(scheduler.Completed(last, peer));
        Assert.Null(scheduler.Pick(peer, Now));

        // The first blob in, the rest go out as before, and other connections open.
        Assert.True(scheduler.Completed(first, peer));
        Assert.Equal([1, 2, 4], Picks(scheduler, peer, 3));
        Assert.NotNull(scheduler.AcquirePeer(Now));
    }

    [Fact]
    public void A_first_request_that_fails_lets_another_go_out_before_any_blob_arrives()
    {
        var scheduler = Scheduler(blobs: 6, have: _ => false, startRequests: 2);
        var peer = scheduler.AcquirePeer(Now)!;
        var first = scheduler.Pick(peer, Now)!;
        Assert.Equal(5, scheduler.Pick(peer, Now)?.Index);

        scheduler.NotAvailable(first, peer);
        Assert.Equal(1, scheduler.Pick(peer, Now)?.Index);
        Assert.Null(scheduler.Pick(peer, Now));
    }

    [Fact]
    public void A_first_blob_slower_than_the_start_limit_lets_the_rest_go()
    {
        var scheduler = Scheduler(blobs: 6, have: _ => false, startRequests: 2);
        var peer = scheduler.AcquirePeer(Now)!;
        Assert.Equal([0, 5], Picks(scheduler, peer, 2));
        Assert.Null(scheduler.Pick(peer, Now + BlobScheduler.StartLimitTime - TimeSpan.FromMilliseconds(1)));

        Assert.Equal(1, scheduler.Pick(peer, Now + BlobScheduler.StartLimitTime)?.Index);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void A_start_limit_under_one_is_no_limit(int startRequests)
    {
        var scheduler = Scheduler(blobs: 6, have: _ => false, startRequests: startRequests);
        var peer = scheduler.AcquirePeer(Now)!;

        Assert.Equal([0, 5, 1, 2], Picks(scheduler, peer, 4));
    }

    [Fact]
    public void A_resumed_download_holds_back_until_its_lowest_missing_blob_arrives()
    {
        var scheduler = Scheduler(blobs: 6, have: blob => blob.BlobNum < 2, startRequests: 2);
        var peer = scheduler.AcquirePeer(Now)!;
        var lowest = scheduler.Pick(peer, Now)!;
        Assert.Equal((2, 5), (lowest.Index, scheduler.Pick(peer, Now)?.Index));
        Assert.Null(scheduler.Pick(peer, Now));

        Assert.True(scheduler.Completed(lowest, peer));
        Assert.Equal(3, scheduler.Pick(peer, Now)?.Index);
    }

    // The order with no limit on requests before the first blob arrives (StartRequestsTests covers that limit).
    private static BlobScheduler Scheduler(int blobs, Func<StreamBlobInfo, bool> have, int? startRequests = null)
    {
        var sd = BlobHash.Compute([1, 2, 3]);
        var scheduler = new BlobScheduler(sd, new StreamDownloadOptions { StartRequests = startRequests });
        scheduler.AddPeer(Seeder);
        var infos = Enumerable.Range(0, blobs)
            .Select(i => new StreamBlobInfo(i, 2 * 1024 * 1024, new string('0', 32), BlobHash.Compute([(byte)i, 7])))
            .Append(new StreamBlobInfo(blobs, 0, new string('0', 32), null))
            .ToList();
        scheduler.SetDescriptor(new StreamDescriptor("video.mp4", new string('1', 32), "video.mp4", new string('2', 96), infos), have);
        return scheduler;
    }

    // Picks `count` blobs on one connection without completing any: the order they are asked in.
    private static int[] Picks(BlobScheduler scheduler, DownloadPeer peer, int count) =>
        [.. Enumerable.Range(0, count).Select(_ => scheduler.Pick(peer, Now)?.Index ?? -1)];
}
