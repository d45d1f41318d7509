using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Time.Testing;
using SmartShare.BitTorrent.Trackers;
using static SmartShare.BitTorrent.Tests.Trackers.TrackerTestSupport;

namespace SmartShare.BitTorrent.Tests.Trackers;

public sealed class TrackerAnnouncerTests : IDisposable
{
    private readonly HttpClient _http = new();

    public void Dispose() => _http.Dispose();

    private static AnnounceRequest RequestFor(TrackerEvent @event) => new(Hash(0x33), PeerId('E'), 6881, 0, 0, 10, @event);

    private static TrackerTiers Tiers(params Uri[][] tiers) => new(tiers, SecureRandomSource.Instance);

    [Fact]
    public async Task Sends_started_then_regular_announces_then_completed_then_stopped()
    {
        var uri = new Uri("http://127.0.0.1:1/announce");
        var tracker = new ScriptedTrackerClient(uri) { Interval = TimeSpan.FromMinutes(30), Peers = [new IPEndPoint(IPAddress.Loopback, 1234)] };
        var peers = new ConcurrentQueue<IPEndPoint>();
        var time = new WatchedFakeTime();
        await using var announcer = new TrackerAnnouncer(
            Tiers([uri]), _ => tracker, RequestFor, list => { foreach (var p in list) { peers.Enqueue(p); } }, time);
        var start = time.GetUtcNow();

        // The tracker's 30 min interval, on the fake clock: two regular announces take an hour of it. The clock jumps
        // straight to each planned announce once the announcer has armed its timer for it, so a slow machine cannot
        // stretch the hour (a jump made before the timer is armed would leave the timer an interval in the future).
        announcer.Start();
        await WaitUntilAsync(
            () => tracker.Events.Contains(TrackerEvent.Started) && announcer.NextAnnounce is not null, "\"started\" arrives");
        for (var regular = 1; regular <= 2; regular++)
        {
            var planned = announcer.NextAnnounce!.Value;
            Assert.Equal(TimeSpan.FromMinutes(30), planned - time.GetUtcNow());
            await WaitUntilAsync(() => time.Armed.Contains(planned), "the announcer arms its timer");
            time.Advance(planned - time.GetUtcNow());
            var count = regular;
            await WaitUntilAsync(
                () => tracker.Events.Count(e => e == TrackerEvent.None) >= count && announcer.NextAnnounce > planned,
                $"regular announce {count} arrives and the next is planned");
        }

        Assert.Equal(TimeSpan.FromMinutes(60), time.GetUtcNow() - start);
        // "completed" goes out early, but no sooner than the minimum gap after the last announce.
        announcer.AnnounceNow(TrackerEvent.Completed);
        announcer.AnnounceNow(TrackerEvent.Completed);
        await time.AdvanceUntilAsync(WaitUntilAsync(() => tracker.Events.Contains(TrackerEvent.Completed), "\"completed\" arrives"), TimeSpan.FromSeconds(10));
        Assert.InRange(time.GetUtcNow() - start, TimeSpan.FromMinutes(60), TimeSpan.FromMinutes(65));
        await announcer.StopAsync(CancellationToken.None);

        var events = tracker.Events.ToArray();
        Assert.Equal(TrackerEvent.Started, events[0]);
        Assert.Equal(TrackerEvent.Stopped, events[^1]);
        Assert.Single(events, e => e == TrackerEvent.Started);
        Assert.Single(events, e => e == TrackerEvent.Completed);
        Assert.Single(events, e => e == TrackerEvent.Stopped);
        Assert.All(events[1..Array.IndexOf(events, TrackerEvent.Completed)], e => Assert.Equal(TrackerEvent.None, e));
        Assert.Contains(new IPEndPoint(IPAddress.Loopback, 1234), peers);
        Assert.Null(announcer.NextAnnounce);
        Assert.Null(announcer.LastError);
    }

    [Fact]
    public async Task Falls_back_to_the_next_tier_when_the_first_tracker_is_unreachable()
    {
        var dead = new Uri($"http://127.0.0.1:{ClosedTcpPort()}/announce");
        var live = new Uri("udp://127.0.0.1:2/announce");
        var tracker = new ScriptedTrackerClient(live) { Interval = TimeSpan.FromMinutes(30) };
        var options = new TrackerOptions();
        await using var announcer = new TrackerAnnouncer(
            Tiers([dead], [live]),
            uri => uri == live ? tracker : TrackerClientFactory.Create(uri, _http, options),
            RequestFor,
            _ => { },
            TimeProvider.System);

        announcer.Start();
        await WaitUntilAsync(() => tracker.Events.Contains(TrackerEvent.Started), "the second tier gets \"started\"");
        await WaitUntilAsync(() => announcer.NextAnnounce is not null, "the next announce is planned");

        Assert.Contains(dead.ToString(), announcer.LastError, StringComparison.Ordinal);
        var wait = announcer.NextAnnounce!.Value - DateTimeOffset.UtcNow;
        Assert.InRange(wait, TimeSpan.FromMinutes(29), TimeSpan.FromMinutes(30));
        var (first, second) = (announcer.Trackers[0], announcer.Trackers[1]);
        Assert.Equal((dead, 0), (first.Url, first.Tier));
        Assert.Contains(dead.ToString(), first.Error, StringComparison.Ordinal);
        Assert.Equal((live, 1, null), (second.Url, second.Tier, second.Error));
        Assert.NotNull(second.LastAnnounce);

        await announcer.StopAsync(CancellationToken.None);
        Assert.Equal([TrackerEvent.Started, TrackerEvent.Stopped], tracker.Events);
    }

    [Fact]
    public async Task Backs_off_when_no_tracker_answers()
    {
        var uri = new Uri("http://127.0.0.1:1/announce");
        var tracker = new ScriptedTrackerClient(uri) { Failure = new TrackerException(TrackerErrorKind.TimedOut, "Tracker x: no answer.") };
        await using var announcer = new TrackerAnnouncer(Tiers([uri]), _ => tracker, RequestFor, _ => { }, TimeProvider.System);

        announcer.Start();
        await WaitUntilAsync(() => announcer.NextAnnounce is not null, "the retry is planned");

        Assert.Equal("Tracker x: no answer.", announcer.LastError);
        Assert.InRange(announcer.NextAnnounce!.Value - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(13), TimeSpan.FromSeconds(15));
        await announcer.StopAsync(CancellationToken.None);
        Assert.Equal([TrackerEvent.Started], tracker.Events);
    }

    [Theory]
    [InlineData(1, 15)]
    [InlineData(2, 30)]
    [InlineData(3, 60)]
    [InlineData(7, 960)]
    [InlineData(8, 1800)]
    [InlineData(1000, 1800)]
    public void Backoff_doubles_from_15_s_up_to_30_min(int failedRounds, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), TrackerAnnouncer.Backoff(failedRounds));
    }

    [Fact]
    public async Task An_extra_announce_waits_for_the_min_interval()
    {
        var uri = new Uri("http://127.0.0.1:1/announce");
        var tracker = new ScriptedTrackerClient(uri) { Interval = TimeSpan.FromMinutes(10), MinInterval = TimeSpan.FromSeconds(5) };
        await using var announcer = new TrackerAnnouncer(Tiers([uri]), _ => tracker, RequestFor, _ => { }, TimeProvider.System);

        announcer.Start();
        await WaitUntilAsync(() => announcer.NextAnnounce is not null, "the first answer is in");
        Assert.True(announcer.NextAnnounce > DateTimeOffset.UtcNow + TimeSpan.FromMinutes(9));

        announcer.AnnounceNow(TrackerEvent.None);

        var next = announcer.NextAnnounce!.Value - DateTimeOffset.UtcNow;
        Assert.InRange(next, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(5));
        Assert.Equal([TrackerEvent.Started], tracker.Events);
    }

    [Fact]
    public async Task Stopping_before_any_answer_sends_nothing()
    {
        var uri = new Uri("http://127.0.0.1:1/announce");
        var tracker = new ScriptedTrackerClient(uri);
        await using var announcer = new TrackerAnnouncer(Tiers([uri]), _ => tracker, RequestFor, _ => { }, TimeProvider.System);

        await announcer.StopAsync(CancellationToken.None);

        Assert.Empty(tracker.Events);
        Assert.Throws<InvalidOperationException>(announcer.Start);
    }

    [Fact]
    public async Task A_tracker_id_is_sent_back()
    {
        var uri = new Uri("http://127.0.0.1:1/announce");
        var tracker = new ScriptedTrackerClient(uri) { TrackerId = "tid-1", Interval = TimeSpan.FromMinutes(30) };
        await using var announcer = new TrackerAnnouncer(Tiers([uri]), _ => tracker, RequestFor, _ => { }, TimeProvider.System);

        announcer.Start();
        await WaitUntilAsync(() => announcer.NextAnnounce is not null, "the first answer is in");
        await announcer.StopAsync(CancellationToken.None);

        Assert.Equal([null, "tid-1"], tracker.TrackerIds);
    }

    /// <summary>An in-memory tracker that records what it was sent.</summary>
    private sealed class ScriptedTrackerClient(Uri uri) : ITrackerClient
    {
        public Uri Uri { get; } = uri;

        public ConcurrentQueue<TrackerEvent> Events { get; } = new();

        public ConcurrentQueue<string?> TrackerIds { get; } = new();

        public TimeSpan Interval { get; init; } = TimeSpan.FromMilliseconds(200);

        public TimeSpan? MinInterval { get; init; }

        public IReadOnlyList<IPEndPoint> Peers { get; init; } = [];

        public string? TrackerId { get; init; }

        public Exception? Failure { get; init; }

        public Task<AnnounceResponse> AnnounceAsync(AnnounceRequest request, CancellationToken cancellationToken)
        {
            Events.Enqueue(request.Event);
            TrackerIds.Enqueue(request.TrackerId);
            return Failure is not null
                ? Task.FromException<AnnounceResponse>(Failure)
                : Task.FromResult(new AnnounceResponse(Interval, MinInterval, Peers, 1, 1, null, TrackerId));
        }

        public Task<ScrapeResponse?> ScrapeAsync(InfoHash infoHash, CancellationToken cancellationToken) =>
            Task.FromResult<ScrapeResponse?>(null);
    }

    /// <summary>A fake clock that records when each timer made on it falls due.</summary>
    private sealed class WatchedFakeTime : FakeTimeProvider
    {
        public ConcurrentQueue<DateTimeOffset> Armed { get; } = new();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            Armed.Enqueue(GetUtcNow() + dueTime);
            return timer;
        }
    }
}
