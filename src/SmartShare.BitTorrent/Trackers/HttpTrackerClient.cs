using System.Net.Sockets;
using SmartShare.Threading;

namespace SmartShare.BitTorrent.Trackers;

/// <summary>
/// An HTTP(S) tracker (BEP 3). Each request is bounded by <see cref="TrackerOptions.RequestTimeout"/>, and the body
/// by <see cref="TrackerOptions.MaxResponseBytes"/>: a larger one is refused without being read to its end.
/// The <see cref="HttpClient"/> is the caller's and is not disposed here.
/// </summary>
public sealed class HttpTrackerClient : ITrackerClient
{
    private readonly HttpClient _http;
    private readonly TrackerOptions _options;
    private readonly TimeProvider _time;

    /// <param name="time">The clock of <see cref="TrackerOptions.RequestTimeout"/>; default the system clock.</param>
    public HttpTrackerClient(Uri announce, HttpClient http, TrackerOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(announce);
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        if (!announce.IsAbsoluteUri || announce.Scheme is not ("http" or "https"))
        {
            throw new TrackerException(
                TrackerErrorKind.UnsupportedScheme,
                $"Tracker {announce}: an HTTP tracker URL must be absolute and start with http or https.");
        }

        Uri = announce;
        _http = http;
        _options = options;
        _time = time ?? TimeProvider.System;
    }

    public Uri Uri { get; }

    public async Task<AnnounceResponse> AnnounceAsync(AnnounceRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var uri = HttpTrackerCodec.BuildAnnounceUri(Uri, request);
        try
        {
            var body = await GetAsync(uri, cancellationToken);
            return HttpTrackerCodec.ParseAnnounce(body.Span, _options.MaxPeers);
        }
        catch (TrackerException e)
        {
            throw e.ForTracker(Uri);
        }
    }

    public async Task<ScrapeResponse?> ScrapeAsync(InfoHash infoHash, CancellationToken cancellationToken)
    {
        var uri = HttpTrackerCodec.BuildScrapeUri(Uri, infoHash);
        if (uri is null)
        {
            return null;
        }

        try
        {
            var body = await GetAsync(uri, cancellationToken);
            return HttpTrackerCodec.ParseScrape(body.Span, infoHash);
        }
        catch (TrackerException e)
        {
            throw e.ForTracker(Uri);
        }
    }

    private async Task<ReadOnlyMemory<byte>> GetAsync(Uri uri, CancellationToken cancellationToken)
    {
        using var timeout = new TimeLimit(_options.RequestTimeout, _time, cancellationToken);
        try
        {
            // One request per connection: announces are minutes apart, and a pooled connection the tracker has
            // since closed would fail the next announce with a reset.
            using var response = await SendAsync(uri, timeout.Token);
            var declared = response.Content.Headers.ContentLength;
            if (declared > _options.MaxResponseBytes)
            {
                throw new TrackerException(
                    TrackerErrorKind.BadResponse,
                    $"The answer is {declared} bytes, more than the {_options.MaxResponseBytes} allowed.");
            }

            var body = await ReadBoundedAsync(response.Content, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                // Some trackers put a bencoded failure reason in an error answer: report their words when they did.
                try
                {
                    HttpTrackerCodec.ParseAnnounce(body.Span, 0);
                }
                catch (TrackerException e) when (e.Kind == TrackerErrorKind.Failure)
                {
                    throw;
                }
                catch (TrackerException)
                {
                }

                throw new TrackerException(
                    TrackerErrorKind.Unreachable,
                    $"The tracker answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}.");
            }

            return body;
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TrackerException(
                TrackerErrorKind.TimedOut,
                $"No answer within {_options.RequestTimeout.TotalSeconds:0.###} s.",
                e);
        }
        catch (HttpRequestException e)
        {
            throw new TrackerException(TrackerErrorKind.Unreachable, $"The request failed: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new TrackerException(TrackerErrorKind.Unreachable, $"The answer broke off: {e.Message}", e);
        }
    }

    /// <summary>
    /// Sends the GET, once more at once if the tracker reset the connection before answering: some trackers
    /// (opentracker among them) close a connection with request bytes still unread, which the client sees as a reset.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(Uri uri, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            // One request per connection: announces are minutes apart, and a pooled connection the tracker has
            // since closed would fail the next announce.
            using var message = new HttpRequestMessage(HttpMethod.Get, uri);
            message.Headers.ConnectionClose = true;
            try
            {
                return await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            }
            catch (HttpRequestException e) when (attempt == 0 && IsReset(e))
            {
            }
        }
    }

    private static bool IsReset(Exception e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException { SocketErrorCode: SocketError.ConnectionReset })
            {
                return true;
            }
        }

        return false;
    }

    private async Task<ReadOnlyMemory<byte>> ReadBoundedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        var max = _options.MaxResponseBytes;
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[Math.Min(max + 1, 64 * 1024)];
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (length > max)
                {
                    throw new TrackerException(
                        TrackerErrorKind.BadResponse,
                        $"The answer is longer than the {max} bytes allowed.");
                }

                Array.Resize(ref buffer, (int)Math.Min((long)max + 1, buffer.Length * 2L));
            }

            var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken);
            if (read == 0)
            {
                return buffer.AsMemory(0, length);
            }

            length += read;
        }
    }
}
