using System.Net;
using Microsoft.Extensions.Time.Testing;
using SmartShare.BitTorrent.Trackers;
using static SmartShare.BitTorrent.Tests.Trackers.TrackerTestSupport;

namespace SmartShare.BitTorrent.Tests.Trackers;

public sealed class HttpTrackerClientTests : IDisposable
{
    private readonly HttpClient _http = new();

    public void Dispose() => _http.Dispose();

    private static AnnounceRequest Request(TrackerEvent @event = TrackerEvent.Started) =>
        new(Hash(0x41), PeerId('A'), 6881, 0, 0, 100, @event);

    [Fact]
    public async Task Announce_reaches_the_tracker_and_reads_its_peers()
    {
        await using var tracker = FakeHttpTracker.Replying(
            [.. Ascii("d8:intervali900e5:peers6:"), 127, 0, 0, 9, 0x1A, 0xE1, .. Ascii("e")]);
        var client = new HttpTrackerClient(new Uri(tracker.AnnounceUri + "?passkey=p"), _http, new TrackerOptions());

        var response = await client.AnnounceAsync(Request(), CancellationToken.None);

        Assert.Equal(TimeSpan.FromSeconds(900), response.Interval);
        Assert.Equal([new IPEndPoint(IPAddress.Parse("127.0.0.9"), 6881)], response.Peers);
        Assert.True(tracker.Requests.TryDequeue(out var target));
        Assert.StartsWith("/announce?passkey=p&info_hash=AAAAAAAAAAAAAAAAAAAA&peer_id=AAAAAAAAAAAAAAAAAAAA&port=6881&", target, StringComparison.Ordinal);
        Assert.EndsWith("&event=started", target, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failure_reason_becomes_a_failure_naming_the_tracker()
    {
        await using var tracker = FakeHttpTracker.Replying(Ascii("d14:failure reason15:unknown torrente"));
        var client = new HttpTrackerClient(tracker.AnnounceUri, _http, new TrackerOptions());

        var e = await Assert.ThrowsAsync<TrackerException>(() => client.AnnounceAsync(Request(), CancellationToken.None));

        Assert.Equal(TrackerErrorKind.Failure, e.Kind);
        Assert.Contains("unknown torrent", e.Message, StringComparison.Ordinal);
        Assert.Contains(tracker.AnnounceUri.ToString(), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Error_status_without_a_reason_is_unreachable()
    {
        await using var tracker = new FakeHttpTracker((_, stream, ct) => FakeHttpTracker.WriteReplyAsync(stream, Ascii("nope"), ct, 404));
        var client = new HttpTrackerClient(tracker.AnnounceUri, _http, new TrackerOptions());

        var e = await Assert.ThrowsAsync<TrackerException>(() => client.AnnounceAsync(Request(), CancellationToken.None));

        Assert.Equal(TrackerErrorKind.Unreachable, e.Kind);
        Assert.Contains("404", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Declared_oversized_body_is_refused()
    {
        await using var tracker = new FakeHttpTracker(async (_, stream, ct) =>
        {
            await stream.WriteAsync(Ascii("HTTP/1.1 200 OK\r\nContent-Length: 2000000\r\nConnection: close\r\n\r\n"), ct);
            await stream.WriteAsync(new byte[100_000], ct);
        });
        var client = new HttpTrackerClient(tracker.AnnounceUri, _http, new TrackerOptions { MaxResponseBytes = 1000 });

        var e = await Assert.ThrowsAsync<TrackerException>(() => client.AnnounceAsync(Request(), CancellationToken.None));

        Assert.Equal(TrackerErrorKind.BadResponse, e.Kind);
        Assert.Contains("2000000", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Undeclared_oversized_body_is_refused_without_reading_it_all()
    {
        const long total = 256L * 1024 * 1024;
        long written = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var tracker = new FakeHttpTracker(async (_, stream, ct) =>
        {
            try
            {
                await stream.WriteAsync(Ascii("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nd8:intervali60e5:peers999999999:"), ct);
                var chunk = new byte[64 * 1024];
                while (Interlocked.Read(ref written) < total)
                {
                    await stream.WriteAsync(chunk, ct);
                    Interlocked.Add(ref written, chunk.Length);
                }
            }
            finally
            {
                done.TrySetResult();
            }
        });
        var client = new HttpTrackerClient(tracker.AnnounceUri, _http, new TrackerOptions { MaxResponseBytes = 64 * 1024 });

        var e = await Assert.ThrowsAsync<TrackerException>(() => client.AnnounceAsync(Request(), CancellationToken.None));

        Assert.Equal(TrackerErrorKind.BadResponse, e.Kind);
        await done.Task.WaitAsync(WaitLimit);
        Assert.True(Interlocked.Read(ref written) < total, $"The server wrote all {total} bytes.");
    }

    [Fact]
    public async Task Slow_reply_times_out()
    {
        await using var tracker = new FakeHttpTracker((_, _, ct) => Task.Delay(Timeout.Infinite, ct));
        var time = new FakeTimeProvider();
        var client = new HttpTrackerClient(tracker.AnnounceUri, _http, new TrackerOptions(), time);

        // The default 15 s request limit, on the fake clock.
        var announcing = client.AnnounceAsync(Request(), CancellationToken.None);
        var waited = await time.AdvanceUntilAsync(announcing, TimeSpan.FromSeconds(1));
        var e = await Assert.ThrowsAsync<TrackerException>(() => announcing);

        Assert.Equal(TrackerErrorKind.TimedOut, e.Kind);
        Assert.InRange(waited, TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(22));
    }

    [Fact]
    public async Task Callers_cancellation_is_not_a_timeout()
    {
        await using var tracker = new FakeHttpTracker((_, _, ct) => Task.Delay(Timeout.Infinite, ct));
        var client = new HttpTrackerClient(tracker.AnnounceUri, _http, new TrackerOptions());
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.AnnounceAsync(Request(), cancel.Token));
    }

    [Fact]
    public async Task Closed_port_is_unreachable()
    {
        var uri = new Uri($"http://127.0.0.1:{ClosedTcpPort()}/announce");
        var client = new HttpTrackerClient(uri, _http, new TrackerOptions());

        var e = await Assert.ThrowsAsync<TrackerException>(() => client.AnnounceAsync(Request(), CancellationToken.None));

        Assert.Equal(TrackerErrorKind.Unreachable, e.Kind);
        Assert.Contains(uri.ToString(), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scrape_uses_the_scrape_url_and_reads_the_counts()
    {
        var hash = Hash(0x41);
        await using var tracker = FakeHttpTracker.Replying(
            Ascii($"d5:filesd20:{new string('A', 20)}d8:completei1e10:downloadedi2e10:incompletei3eeee"));
        var client = new HttpTrackerClient(tracker.AnnounceUri, _http, new TrackerOptions());

        var counts = await client.ScrapeAsync(hash, CancellationToken.None);

        Assert.Equal(new ScrapeResponse(1, 2, 3), counts);
        Assert.True(tracker.Requests.TryDequeue(out var target));
        Assert.Equal("/scrape?info_hash=" + new string('A', 20), target);
    }

    [Fact]
    public async Task Scrape_without_a_scrape_url_is_null()
    {
        var client = new HttpTrackerClient(new Uri($"http://127.0.0.1:{ClosedTcpPort()}/tracker"), _http, new TrackerOptions());
        Assert.Null(await client.ScrapeAsync(Hash(1), CancellationToken.None));
    }

    [Fact]
    public void Factory_picks_the_client_by_scheme()
    {
        var options = new TrackerOptions();
        Assert.IsType<HttpTrackerClient>(TrackerClientFactory.Create(new Uri("http://127.0.0.1/announce"), _http, options));
        Assert.IsType<HttpTrackerClient>(TrackerClientFactory.Create(new Uri("https://127.0.0.1/announce"), _http, options));
        using var udp = Assert.IsType<UdpTrackerClient>(TrackerClientFactory.Create(new Uri("udp://127.0.0.1:1/announce"), _http, options));
        var e = Assert.Throws<TrackerException>(() => TrackerClientFactory.Create(new Uri("wss://127.0.0.1/announce"), _http, options));
        Assert.Equal(TrackerErrorKind.UnsupportedScheme, e.Kind);
        Assert.Contains("wss://127.0.0.1/announce", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Messages_do_not_show_the_passkey()
    {
        var e = new TrackerException(TrackerErrorKind.TimedOut, "slow").ForTracker(new Uri("http://127.0.0.1/announce?passkey=secret"));
        Assert.DoesNotContain("secret", e.Message, StringComparison.Ordinal);
        Assert.Equal(TrackerErrorKind.TimedOut, e.Kind);
    }
}
