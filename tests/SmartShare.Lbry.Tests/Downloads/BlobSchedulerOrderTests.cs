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

    private static BlobScheduler Scheduler(int blobs, Func<StreamBlobInfo, bool> have)
    {
        var sd = BlobHash.Compute([1, 2, 3]);
        var scheduler = new BlobScheduler(sd, new StreamDownloadOptions());
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
