using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SmartShare.Node.Hosting;
using SmartShare.Node.Http;
using SmartShare.Node.Settings;
using SmartShare.Node.Torrents;
using SmartShare.Node.Transfers;

namespace SmartShare.Node.Remote;

/// <summary>
/// Transmission's RPC (version 16/17 names) at <c>/transmission/rpc</c>, so <c>transmission-remote</c>, Flood and
/// other Transmission remotes can drive the node. Every request has passed <see cref="RequestGuard"/> (Host, Origin,
/// password as HTTP Basic). Then the <c>X-Transmission-Session-Id</c> handshake: a request without this run's id
/// is answered 409 with the id in that header, and the client repeats it. The id is random per node run and is the
/// CSRF token: a web page cannot send a custom header to another site without a preflight the node never grants.
/// The body is read as JSON whatever its Content-Type (transmission-remote says form-urlencoded).
/// </summary>
internal sealed partial class TransmissionRpc
{
    public const string Path = "/transmission/rpc";
    public const string SessionIdHeader = "X-Transmission-Session-Id";

    /// <summary>The largest body read: a .torrent of <see cref="IncomingFile.MaxLength"/> bytes in base64 and room for the rest.</summary>
    public const int MaxRequestBytes = ((IncomingFile.MaxLength + 2) / 3 * 4) + (64 * 1024);

    private readonly byte[] _sessionIdBytes;
    private readonly TransmissionTorrents _torrents;
    private readonly TransmissionSession _session;
    private readonly ILogger _logger;

    private TransmissionRpc(string sessionId, TransmissionTorrents torrents, TransmissionSession session, ILogger logger)
    {
        SessionId = sessionId;
        _sessionIdBytes = Encoding.ASCII.GetBytes(sessionId);
        _torrents = torrents;
        _session = session;
        _logger = logger;
    }

    /// <summary>This run's session id (48 random characters).</summary>
    public string SessionId { get; }

    /// <summary>Maps POST (and GET, which only gets the handshake) at <c>/transmission/rpc</c> and <c>/transmission/rpc/</c>.</summary>
    public static void Map(IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var services = app.ServiceProvider;
        var time = services.GetRequiredService<TimeProvider>();
        var transfers = services.GetRequiredService<TransferManager>();
        var torrents = services.GetService<TorrentManager>();
        var settings = services.GetRequiredService<NodeSettingsStore>();
        var runtime = services.GetRequiredService<NodeRuntime>();
        var ids = new TransmissionIds(time);
        var sessionId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var rpc = new TransmissionRpc(
            sessionId,
            new TransmissionTorrents(transfers, torrents, settings, runtime, ids, time, services.GetService<Limits.BandwidthLimits>()),
            new TransmissionSession(transfers, torrents, settings, runtime, ids, sessionId),
            services.GetRequiredService<ILoggerFactory>().CreateLogger<TransmissionRpc>());
        // Routing matches the path with and without the trailing slash (transmission-remote sends it, the web client not).
        app.MapMethods(Path, [HttpMethods.Post, HttpMethods.Get], rpc.HandleAsync);
    }

    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        context.Response.Headers[SessionIdHeader] = SessionId;
        if (!HttpMethods.IsPost(request.Method) || !HasSessionId(request))
        {
            await WriteTextAsync(
                context,
                StatusCodes.Status409Conflict,
                $"{SessionIdHeader}: {SessionId}\nRepeat the request (a POST) with this header; the id stays the same until the node restarts.");
            return;
        }

        if (request.ContentLength > MaxRequestBytes)
        {
            await WriteAsync(context, StatusCodes.Status413PayloadTooLarge, Failure(TooLarge, null));
            return;
        }

        var body = await JsonBody.ReadBoundedAsync(request.Body, MaxRequestBytes, context.RequestAborted);
        if (body is null)
        {
            await WriteAsync(context, StatusCodes.Status413PayloadTooLarge, Failure(TooLarge, null));
            return;
        }

        await WriteAsync(context, StatusCodes.Status200OK, await AnswerAsync(body, context.RequestAborted));
    }

    private static string TooLarge => $"The request is larger than {MaxRequestBytes:N0} bytes, the most this node reads (a .torrent of {IncomingFile.MaxLength / 1024 / 1024} MiB in base64).";

    private async Task<JsonObject> AnswerAsync(byte[] body, CancellationToken cancellationToken)
    {
        TransmissionRequest request;
        try
        {
            request = TransmissionRequest.Parse(body);
        }
        catch (TransmissionFailure ex)
        {
            return Failure(ex.Message, ex.Tag);
        }

        var (method, arguments, tag) = request;
        try
        {
            var result = await InvokeAsync(method, arguments, cancellationToken);
            if (result is null)
            {
                return Failure("method name not recognized", tag);
            }

            var answer = new JsonObject { ["arguments"] = result, ["result"] = "success" };
            if (tag is not null)
            {
                answer["tag"] = tag;
            }

            return answer;
        }
        catch (TransmissionFailure ex)
        {
            return Failure(ex.Message, tag);
        }
        catch (NodeSettingsException ex)
        {
            return Failure(ex.Message, tag);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogMethodFailed(_logger, method.Length <= 64 ? method : method[..64], ex);
            return Failure($"Internal error in '{(method.Length <= 64 ? method : method[..64])}': {ex.Message}", tag);
        }
    }

    private Task<JsonObject>? Dispatch(string method, TransmissionArguments arguments, CancellationToken cancellationToken) => method switch
    {
        "session-get" => _session.GetAsync(arguments, cancellationToken),
        "session-set" => _session.SetAsync(arguments, cancellationToken),
        "session-stats" => _session.StatsAsync(arguments, cancellationToken),
        "torrent-get" => _torrents.GetAsync(arguments, cancellationToken),
        "torrent-add" => _torrents.AddAsync(arguments, cancellationToken),
        "torrent-start" => _torrents.StartAsync(arguments, cancellationToken),
        "torrent-start-now" => _torrents.StartAsync(arguments, cancellationToken, now: true),
        "torrent-stop" => _torrents.StopAsync(arguments, cancellationToken),
        "torrent-remove" => _torrents.RemoveAsync(arguments, cancellationToken),
        "torrent-verify" => _torrents.VerifyAsync(arguments, cancellationToken),
        "torrent-set" => _torrents.SetAsync(arguments, cancellationToken),
        "torrent-reannounce" => Task.FromResult(new JsonObject()),
        "torrent-set-location" => throw new TransmissionFailure("SmartShare cannot move a transfer's data; remove it and add it again with another download-dir."),
        "torrent-rename-path" => throw new TransmissionFailure("SmartShare cannot rename a transfer's files."),
        "queue-move-top" => _torrents.MoveAsync(arguments, Transfers.Queueing.QueueMoveKind.Top),
        "queue-move-up" => _torrents.MoveAsync(arguments, Transfers.Queueing.QueueMoveKind.Up),
        "queue-move-down" => _torrents.MoveAsync(arguments, Transfers.Queueing.QueueMoveKind.Down),
        "queue-move-bottom" => _torrents.MoveAsync(arguments, Transfers.Queueing.QueueMoveKind.Bottom),
        "session-close" => throw new TransmissionFailure("Stop the node with `smartshare stop`; the Transmission RPC does not stop it."),
        "blocklist-update" => throw new TransmissionFailure("SmartShare has no blocklist."),
        "port-test" => Task.FromResult(new JsonObject { ["port-is-open"] = false }),
        "free-space" => throw new TransmissionFailure("free-space is not supported; session-get's download-dir-free-space tells the download folder's."),
        _ => null,
    };

    private async Task<JsonObject?> InvokeAsync(string method, TransmissionArguments arguments, CancellationToken cancellationToken) =>
        Dispatch(method, arguments, cancellationToken) is { } task ? await task : null;

    private bool HasSessionId(HttpRequest request)
    {
        var values = request.Headers[SessionIdHeader];
        if (values.Count != 1 || values[0] is not { Length: > 0 and <= 128 } given)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(given), _sessionIdBytes);
    }

    private static JsonObject Failure(string sentence, JsonNode? tag)
    {
        var answer = new JsonObject { ["arguments"] = new JsonObject(), ["result"] = sentence };
        if (tag is not null)
        {
            answer["tag"] = tag;
        }

        return answer;
    }

    private static async Task WriteAsync(HttpContext context, int status, JsonObject answer)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(answer.ToJsonString(), context.RequestAborted);
    }

    private static async Task WriteTextAsync(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(text, context.RequestAborted);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The Transmission RPC method '{Method}' failed")]
    private static partial void LogMethodFailed(ILogger logger, string method, Exception exception);
}
