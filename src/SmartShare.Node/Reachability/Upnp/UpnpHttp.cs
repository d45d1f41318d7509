using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace SmartShare.Node.Reachability.Upnp;

/// <summary>
/// The HTTP side of UPnP: fetches a description and posts SOAP actions with no proxy, no redirect, a time limit on
/// the injected <see cref="TimeProvider"/> and a bound on every body read, so a LAN device cannot make the node
/// wait forever, read without end or go somewhere else.
/// </summary>
internal sealed class UpnpHttp : IDisposable
{
    private readonly HttpClient _client;
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;

    public UpnpHttp(TimeProvider time, TimeSpan timeout)
    {
        _time = time;
        _timeout = timeout;
#pragma warning disable CA2000 // The client owns the handler and disposes it.
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            MaxResponseHeadersLength = 16,
            PooledConnectionLifetime = TimeSpan.FromSeconds(30),
            AutomaticDecompression = DecompressionMethods.None,
        };
        _client = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
#pragma warning restore CA2000
        _client.DefaultRequestHeaders.UserAgent.ParseAdd("SmartShare/0.1 UPnP/1.1");
    }

    /// <summary>The body of a 200 answer to GET <paramref name="url"/>, at most <paramref name="maxBytes"/> bytes.</summary>
    /// <exception cref="PortMappingException">Another status, or no answer in time.</exception>
    /// <exception cref="UpnpFormatException">The body is over the bound.</exception>
    public async Task<byte[]> GetAsync(Uri url, int maxBytes, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        var (status, body) = await SendAsync(request, maxBytes, cancellationToken);
        return status == HttpStatusCode.OK
            ? body
            : throw new PortMappingException($"The router answered HTTP {(int)status} for its description at {url}.");
    }

    /// <summary>The status and body of a SOAP action posted to <paramref name="controlUrl"/>.</summary>
    public async Task<(HttpStatusCode Status, byte[] Body)> PostSoapAsync(Uri controlUrl, string soapAction, string envelope, int maxBytes, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, controlUrl)
        {
            Content = new StringContent(envelope, new UTF8Encoding(false), "text/xml"),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("text/xml; charset=\"utf-8\"");
        request.Headers.TryAddWithoutValidation("SOAPAction", soapAction);
        return await SendAsync(request, maxBytes, cancellationToken);
    }

    public void Dispose() => _client.Dispose();

    private async Task<(HttpStatusCode, byte[])> SendAsync(HttpRequestMessage request, int maxBytes, CancellationToken cancellationToken)
    {
        using var limit = new CancellationTokenSource(_timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, limit.Token);
        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            if (response.Content.Headers.ContentLength is long length && length > maxBytes)
            {
                throw new UpnpFormatException($"The router's answer is {length} bytes, over the {maxBytes}-byte limit.");
            }

            await using var stream = await response.Content.ReadAsStreamAsync(linked.Token);
            var buffer = new byte[Math.Min(maxBytes + 1, 16 * 1024)];
            using var body = new MemoryStream();
            int read;
            while ((read = await stream.ReadAsync(buffer, linked.Token)) > 0)
            {
                if (body.Length + read > maxBytes)
                {
                    throw new UpnpFormatException($"The router's answer is over the {maxBytes}-byte limit.");
                }

                body.Write(buffer, 0, read);
            }

            return (response.StatusCode, body.ToArray());
        }
        catch (OperationCanceledException ex) when (limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new PortMappingException($"The router did not answer {request.Method} {request.RequestUri} within {_timeout.TotalSeconds:0.#} s.", ex);
        }
        catch (HttpRequestException ex)
        {
            throw new PortMappingException($"The router could not be reached at {request.RequestUri}: {ex.Message}", ex);
        }
        catch (IOException ex)
        {
            throw new PortMappingException($"The connection to the router at {request.RequestUri} broke: {ex.Message}", ex);
        }
    }
}
