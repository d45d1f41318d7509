using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SmartShare.Node.Http;
using SmartShare.Node.Settings;

namespace SmartShare.Node.Api;

/// <summary>
/// The HTTP side of the API in lbrynet's shape: <c>POST /</c> (or <c>/api</c>) with
/// <c>{"method", "params", "id"?, "jsonrpc"?}</c>, answered by <c>{"result"}</c> or <c>{"error": {"code", "message"}}</c>.
/// Errors are sentences; a stack trace goes only to the log.
/// </summary>
internal sealed partial class JsonRpcEndpoint(JsonRpcMethods methods, ILogger<JsonRpcEndpoint> logger)
{
    /// <summary>Larger requests are refused with 413 before they are parsed.</summary>
    // Room for get's content_base64: a .torrent file of IncomingFile.MaxLength bytes in base64, and the rest of the call.
    public const int MaxRequestBytes = (Transfers.IncomingFile.MaxLength / 3 * 4) + (1024 * 1024);

    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var cancellationToken = context.RequestAborted;
        if (!JsonBody.IsJson(context.Request))
        {
            // Browsers send text/plain and forms to any site without asking; JSON needs a preflight the node never grants.
            await WriteErrorAsync(context, StatusCodes.Status415UnsupportedMediaType, null, JsonRpcErrorCodes.InvalidRequest, JsonBody.NotJsonMessage(context.Request));
            return;
        }

        if (context.Request.ContentLength > MaxRequestBytes)
        {
            await WriteErrorAsync(context, StatusCodes.Status413PayloadTooLarge, null, JsonRpcErrorCodes.InvalidRequest, TooLarge(context.Request.ContentLength.Value));
            return;
        }

        var body = await JsonBody.ReadBoundedAsync(context.Request.Body, MaxRequestBytes, cancellationToken);
        if (body is null)
        {
            await WriteErrorAsync(context, StatusCodes.Status413PayloadTooLarge, null, JsonRpcErrorCodes.InvalidRequest, TooLarge(null));
            return;
        }

        if (await AnswerAsync(body, cancellationToken) is { } answer)
        {
            await WriteAsync(context, answer.Status, answer.Response);
        }
    }

    /// <summary>
    /// The answer to one call's body, as <see cref="HandleAsync"/> writes it: its HTTP status and JSON-RPC response;
    /// null when <paramref name="cancellationToken"/> ended the call (the caller is gone). The in-process transport
    /// (<see cref="InProcessApiHandler"/>) answers through this too, so both give the same answers.
    /// </summary>
    internal async Task<(int Status, JsonObject Response)?> AnswerAsync(byte[] body, CancellationToken cancellationToken)
    {
        JsonRpcCall request;
        try
        {
            request = JsonRpcCall.Parse(body);
        }
        catch (JsonRpcRefusal refusal)
        {
            return (refusal.Status, Error(refusal.Envelope, refusal.Code, refusal.Message));
        }

        var (call, name, parameters) = request;
        JsonNode? result;
        try
        {
            result = await methods.InvokeAsync(name, parameters, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (JsonRpcException ex)
        {
            return (StatusCodes.Status200OK, Error(call, ex.Code, ex.Message, ex.Kind));
        }
        catch (NodeSettingsException ex)
        {
            return (StatusCodes.Status200OK, Error(call, JsonRpcErrorCodes.InvalidParams, ex.Message));
        }
        catch (Exception ex)
        {
            LogMethodFailed(logger, name, ex);
            return (StatusCodes.Status500InternalServerError, Error(call, JsonRpcErrorCodes.InternalError, $"Internal error in '{name}': {ex.Message}"));
        }

        var response = Envelope(call);
        response["result"] = result;
        return (StatusCodes.Status200OK, response);
    }

    /// <summary>The answer to a body larger than <see cref="MaxRequestBytes"/>.</summary>
    internal static JsonObject TooLargeError(long? length) => Error(null, JsonRpcErrorCodes.InvalidRequest, TooLarge(length));

    private static string TooLarge(long? length) =>
        (length is { } bytes ? $"The request is {bytes:N0} bytes" : "The request is too large")
        + $"; the API accepts at most {MaxRequestBytes / 1024 / 1024} MiB.";

    private static JsonObject Envelope(JsonObject? call)
    {
        var response = new JsonObject();
        if (call is not null)
        {
            if (call.TryGetPropertyValue("jsonrpc", out var version))
            {
                response["jsonrpc"] = version?.DeepClone();
            }

            if (call.TryGetPropertyValue("id", out var id))
            {
                response["id"] = id?.DeepClone();
            }
        }

        return response;
    }

    private static Task WriteErrorAsync(HttpContext context, int status, JsonObject? call, int code, string message) =>
        WriteAsync(context, status, Error(call, code, message));

    private static JsonObject Error(JsonObject? call, int code, string message, string? kind = null)
    {
        var response = Envelope(call);
        var error = new JsonObject { ["code"] = code, ["message"] = message };
        if (kind is not null)
        {
            error["data"] = new JsonObject { ["kind"] = kind };
        }

        response["error"] = error;
        return response;
    }

    private static async Task WriteAsync(HttpContext context, int status, JsonObject response)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";

        // Written as UTF-8 into the response's pooled pipe, never as one string: a 100,000-file torrent's list is
        // tens of MiB, which as a string went to the large-object heap twice (UTF-16, then its UTF-8 copy).
        var body = context.Response.BodyWriter;
        await using (var writer = new Utf8JsonWriter(body))
        {
            response.WriteTo(writer);
        }

        await body.FlushAsync(context.RequestAborted);
    }

    [LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Error, Message = "The API method '{Method}' failed")]
    private static partial void LogMethodFailed(ILogger logger, string method, Exception exception);
}
