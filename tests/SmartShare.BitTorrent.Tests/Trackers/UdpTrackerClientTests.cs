using System.Buffers.Binary;
using System.Net;
using Microsoft.Extensions.Time.Testing;
using SmartShare.BitTorrent.Trackers;
using static SmartShare.BitTorrent.Tests.Trackers.TrackerTestSupport;

namespace SmartShare.BitTorrent.Tests.Trackers;

public class UdpTrackerClientTests
{
    private static readonly TrackerOptions Fast = new()
    {
        UdpInitialTimeout = TimeSpan.FromMilliseconds(200),
        UdpRetries = 2,
    };

    // For tests that lose nothing: a timeout long enough that a loaded machine's slow answer is never taken for a
    // lost one and asked again.
    private static readonly TrackerOptions Patient = new() { UdpInitialTimeout = TimeSpan.FromSeconds(10) };

    private static AnnounceRequest Request(TrackerEvent @event = TrackerEvent.Started) =>
        new(Hash(0x41), PeerId('U'), 7000, 1, 2, 3, @event, NumWant: 30, Key: 77);

    [Fact]
    public async Task A_dropped_connect_is_sent_again_then_the_announce_goes_through()
    {
        using var tracker = new FakeUdpTracker
        {
            DropConnects = 1,
            Peers = [new IPEndPoint(IPAddress.Parse("127.0.0.5"), 5000), new IPEndPoint(IPAddress.Parse("127.0.0.6"), 0)],
        };
        var time = new FakeTimeProvider();
        using var client = new UdpTrackerClient(tracker.AnnounceUri, TrackerOptions.Default, time);

        // The connect goes again after the first wait, UdpInitialTimeout (3 s) of fake time.
        var announcing = client.AnnounceAsync(Request(), CancellationToken.None);
        var waited = await time.AdvanceUntilAsync(announcing, TimeSpan.FromSeconds(1));
        var response = await announcing;

        Assert.InRange(waited, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(6));
        Assert.Equal(2, tracker.Connects);
        Assert.Equal(1, tracker.Announces);
        Assert.Equal(TimeSpan.FromSeconds(1800), response.Interval);
        Assert.Equal(3, response.Seeders);
        Assert.Equal(7, response.Leechers);
        Assert.Equal([new IPEndPoint(IPAddress.Parse("127.0.0.5"), 5000)], response.Peers);
        var sent = tracker.LastAnnounce!;
        Assert.Equal(Hash(0x41).ToArray(), sent[16..36]);
        Assert.Equal(PeerId('U'), sent[36..56]);
        Assert.Equal(7000, BinaryPrimitives.ReadUInt16BigEndian(sent.AsSpan(96)));
    }

    [Fact]
    public async Task The_connection_id_is_reused()
    {
        using var tracker = new FakeUdpTracker();
        using var client = new UdpTrackerClient(tracker.AnnounceUri, Patient);

        await client.AnnounceAsync(Request(), CancellationToken.None);
        await client.AnnounceAsync(Request(TrackerEvent.None), CancellationToken.None);
        var counts = await client.ScrapeAsync(Hash(0x41), CancellationToken.None);

        Assert.Equal(1, tracker.Connects);
        Assert.Equal(2, tracker.Announces);
        Assert.Equal(new ScrapeResponse(5, 9, 2), counts);
    }

    [Fact]
    public async Task The_connection_id_is_used_for_a_minute_then_asked_for_again()
    {
        using var tracker = new FakeUdpTracker();
        var time = new FakeTimeProvider();
        using var client = new UdpTrackerClient(tracker.AnnounceUri, TrackerOptions.Default, time);

        await client.AnnounceAsync(Request(), CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(59));
        await client.AnnounceAsync(Request(TrackerEvent.None), CancellationToken.None);
        Assert.Equal(1, tracker.Connects);

        time.Advance(TimeSpan.FromSeconds(2));
        await client.AnnounceAsync(Request(TrackerEvent.None), CancellationToken.None);
        Assert.Equal(2, tracker.Connects);
        Assert.Equal(3, tracker.Announces);
    }

    [Fact]
    public async Task Error_action_is_a_failure_naming_the_tracker()
    {
        using var tracker = new FakeUdpTracker { Error = "torrent not registered" };
        using var client = new UdpTrackerClient(tracker.AnnounceUri, Fast);

        var e = await Assert.ThrowsAsync<TrackerException>(() => client.AnnounceAsync(Request(), CancellationToken.None));

        Assert.Equal(TrackerErrorKind.Failure, e.Kind);
        Assert.Contains("torrent not registered", e.Message, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{tracker.Port}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_silent_tracker_times_out_after_the_retries()
    {
        using var tracker = new FakeUdpTracker { DropConnects = int.MaxValue };
        var time = new FakeTimeProvider();
        using var client = new UdpTrackerClient(tracker.AnnounceUri, new TrackerOptions { UdpRetries = 2 }, time);

        // Three tries waiting 3, 6 and 12 s of fake time (UdpInitialTimeout doubled per retry).
        var announcing = client.AnnounceAsync(Request(), CancellationToken.None);
        var waited = await time.AdvanceUntilAsync(announcing, TimeSpan.FromSeconds(1));
        var e = await Assert.ThrowsAsync<TrackerException>(() => announcing);

        Assert.Equal(TrackerErrorKind.TimedOut, e.Kind);
        Assert.Equal(3, tracker.Connects);
        Assert.InRange(waited, TimeSpan.FromSeconds(21), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_closed_port_is_unreachable_or_timed_out()
    {
        using var client = new UdpTrackerClient(new Uri($"udp://127.0.0.1:{ClosedUdpPort()}/announce"), Fast);

        var e = await Assert.ThrowsAsync<TrackerException>(() => client.AnnounceAsync(Request(), CancellationToken.None));

        Assert.Contains(e.Kind, new[] { TrackerErrorKind.Unreachable, TrackerErrorKind.TimedOut });
    }
}
