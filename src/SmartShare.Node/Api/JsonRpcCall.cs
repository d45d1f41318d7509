using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using SmartShare.Node.Http;

namespace SmartShare.Node.Api;

/// <summary>
/// One JSON-RPC request as read from the body, before it is dispatched: the object as sent (whose <c>id</c> and
/// <c>jsonrpc</c> the answer echoes), the method's name and its named params.
/// </summary>
internal sealed record JsonRpcCall(JsonObject Envelope, string Method, JsonObject? Params)
{
    /// <summary>The call in <paramref name="body"/>.</summary>
    /// <exception cref="JsonRpcRefusal">Not JSON, not one object, no method name, or params not an object.</exception>
    public static JsonRpcCall Parse(byte[] body)
    {
        JsonNode? request;
        try
        {
            request = JsonBody.Parse(body);
        }
        catch (JsonException ex)
        {
            throw new JsonRpcRefusal(StatusCodes.Status400BadRequest, null, JsonRpcErrorCodes.ParseError, $"Parse error: the request is not valid JSON ({ex.Message}).");
        }

        if (request is not JsonObject call)
        {
            throw new JsonRpcRefusal(StatusCodes.Status400BadRequest, null, JsonRpcErrorCodes.InvalidRequest, "Invalid request: send one JSON object such as {\"method\": \"status\", \"params\": {}}.");
        }

        if (!call.TryGetPropertyValue("method", out var methodNode) || methodNode is not JsonValue methodValue || methodValue.GetValueKind() != JsonValueKind.String)
        {
            throw new JsonRpcRefusal(StatusCodes.Status400BadRequest, call, JsonRpcErrorCodes.InvalidRequest, "Invalid request: 'method' must be the method's name as a string.");
        }

        call.TryGetPropertyValue("params", out var parametersNode);
        if (parametersNode is not null and not JsonObject)
        {
            throw new JsonRpcRefusal(StatusCodes.Status200OK, call, JsonRpcErrorCodes.InvalidParams, "Invalid params: 'params' must be an object of named parameters.");
        }

        return new JsonRpcCall(call, methodValue.GetValue<string>(), (JsonObject?)parametersNode);
    }
}

/// <summary>A request refused before dispatch: the HTTP status, the request object when it was one, the JSON-RPC error.</summary>
internal sealed class JsonRpcRefusal(int status, JsonObject? envelope, int code, string message) : Exception(message)
{
    public int Status { get; } = status;

    public JsonObject? Envelope { get; } = envelope;

    public int Code { get; } = code;
}
