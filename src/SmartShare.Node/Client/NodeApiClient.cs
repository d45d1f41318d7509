using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SmartShare.Node.Api;

namespace SmartShare.Node.Client;

/// <summary>Calls a running node's JSON-RPC API (what the CLI uses for status, stop, and later get and share).</summary>
public sealed class NodeApiClient : IDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(100);

    // How long the probe's connect may wait for a loopback listener that does not answer at once.
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private long _nextId;

    private readonly AuthenticationHeaderValue? _authorization;

    /// <param name="apiUri">The node's API, such as http://127.0.0.1:5279.</param>
    /// <param name="httpClient">A client to reuse; when null one is made (and disposed with this).</param>
    /// <param name="authorization">Credentials for a node with an API password (see <see cref="NodeApiCredentials"/>).</param>
    public NodeApiClient(Uri apiUri, HttpClient? httpClient = null, TimeSpan? timeout = null, AuthenticationHeaderValue? authorization = null)
        : this(apiUri, httpClient ?? new HttpClient(NewSocketsHandler()), httpClient is null, timeout, authorization)
    {
    }

    /// <summary>The handler every client of a node's API reaches it over the network with: no proxy, 5 s to connect.</summary>
    internal static SocketsHttpHandler NewSocketsHandler() => new() { UseProxy = false, ConnectTimeout = TimeSpan.FromSeconds(5) };

    /// <summary>A client that sends its calls through <paramref name="handler"/> (disposed with this), such as a node's in-process API.</summary>
    /// <param name="apiUri">The node's API, such as http://127.0.0.1:5279.</param>
    public NodeApiClient(Uri apiUri, HttpMessageHandler handler, TimeSpan? timeout = null, AuthenticationHeaderValue? authorization = null)
        : this(apiUri, new HttpClient(handler ?? throw new ArgumentNullException(nameof(handler))), ownsHttp: true, timeout, authorization)
    {
    }

    private NodeApiClient(Uri apiUri, HttpClient http, bool ownsHttp, TimeSpan? timeout, AuthenticationHeaderValue? authorization)
    {
        ArgumentNullException.ThrowIfNull(apiUri);
        ApiUri = apiUri;
        _authorization = authorization;
        _ownsHttp = ownsHttp;
        _http = http;
        _http.Timeout = timeout ?? DefaultTimeout;
    }

    public Uri ApiUri { get; }

    /// <summary>Calls <paramref name="method"/> and returns its result.</summary>
    /// <exception cref="NodeNotRunningException">Nothing listens at <see cref="ApiUri"/>.</exception>
    /// <exception cref="NodeApiException">The node answered with an error, or not in JSON-RPC.</exception>
    public async Task<JsonNode?> CallAsync(string method, JsonObject? parameters = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(method);
        var request = new JsonObject
        {
            ["jsonrpc"] = "2.0",
            ["id"] = Interlocked.Increment(ref _nextId),
            ["method"] = method,
            ["params"] = parameters?.DeepClone() ?? new JsonObject(),
        };
        using var content = new StringContent(request.ToJsonString(), Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };

        string body;
        try
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, ApiUri) { Content = content };
            message.Headers.Authorization = _authorization;
            using var response = await _http.SendAsync(message, cancellationToken);
            body = await response.Content.ReadAsStringAsync(cancellationToken);
        }
        catch (HttpRequestException ex) when (IsConnectionRefused(ex))
        {
            throw new NodeNotRunningException(ApiUri, ex);
        }
        catch (HttpRequestException ex)
        {
            throw new NodeApiException(0, $"Cannot reach the node at {Authority}: {ex.Message}", ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new NodeApiException(0, $"The node at {Authority} did not answer '{method}' within {_http.Timeout.TotalSeconds:0} s.", ex);
        }

        JsonObject answer;
        try
        {
            answer = JsonNode.Parse(body) as JsonObject ?? throw new NodeApiException(0, $"The node at {Authority} answered '{method}' with something other than a JSON object.");
        }
        catch (JsonException ex)
        {
            throw new NodeApiException(0, $"The answer from {Authority} to '{method}' is not JSON; is something else listening there?", ex);
        }

        if (answer["error"] is JsonObject error)
        {
            var code = error["code"] is JsonValue codeValue && codeValue.TryGetValue<int>(out var number) ? number : JsonRpcErrorCodes.InternalError;
            var message = error["message"] is JsonValue messageValue && messageValue.TryGetValue<string>(out var text) ? text : "The node reported an error without a message.";
            var kind = error["data"] is JsonObject data && data["kind"] is JsonValue kindValue && kindValue.TryGetValue<string>(out var word) ? word : null;
            throw new NodeApiException(code, message) { Kind = kind };
        }

        if (!answer.TryGetPropertyValue("result", out var result))
        {
            throw new NodeApiException(0, $"The answer from {Authority} to '{method}' has neither 'result' nor 'error'.");
        }

        return result?.DeepClone();
    }

    /// <summary>True when a node answers at <see cref="ApiUri"/>.</summary>
    public async Task<bool> IsRunningAsync(CancellationToken cancellationToken = default)
    {
        if (!await MayBeListeningAsync(cancellationToken))
        {
            return false;
        }

        try
        {
            await CallAsync("status", cancellationToken: cancellationToken);
            return true;
        }
        catch (NodeNotRunningException)
        {
            return false;
        }
    }

    /// <summary>
    /// False when <see cref="ApiUri"/> is on this machine and its port refuses a TCP connection: nothing listens, told
    /// with one refused connect rather than an HTTP request, whose client a fresh process builds cold and whose refusal
    /// comes back through a score of exceptions (about 60 ms of a command's start when no node runs). True otherwise,
    /// so the HTTP call decides (an API beyond this machine is not probed: its connect could hang on a filter).
    /// </summary>
    public Task<bool> MayBeListeningAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<bool>(cancellationToken);
        }

        var host = ApiUri.Host.Trim('[', ']');
        if (!IPAddress.TryParse(host, out var address))
        {
            if (!string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
            {
                return Task.FromResult(true);
            }

            address = IPAddress.Loopback;
        }

        if (!IPAddress.IsLoopback(address))
        {
            return Task.FromResult(true);
        }

        // A blocking connect: on loopback the kernel answers within the call, so a command's start does not wait for
        // the sockets' event loop and a thread-pool thread to hear of the refusal (in a fresh process, with marks in a
        // composite build: 5-8 ms from the client made to the refusal seen, against 14-16 ms asynchronously). A
        // listener too busy to answer (its backlog full) holds the call for the send timeout at most; then the HTTP
        // call decides.
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { SendTimeout = (int)ProbeTimeout.TotalMilliseconds };
        try
        {
            socket.Connect(new IPEndPoint(address, ApiUri.Port));
            return Task.FromResult(true);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return Task.FromResult(false);
        }
        catch (SocketException)
        {
            return Task.FromResult(true);
        }
    }

    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    private string Authority => ApiUri.GetLeftPart(UriPartial.Authority);

    private static bool IsConnectionRefused(HttpRequestException exception) =>
        exception.HttpRequestError == HttpRequestError.ConnectionError
        || exception.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused };
}
