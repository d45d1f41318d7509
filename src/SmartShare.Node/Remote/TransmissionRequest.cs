using System.Text.Json;
using System.Text.Json.Nodes;
using SmartShare.Node.Http;

namespace SmartShare.Node.Remote;

/// <summary>
/// One Transmission RPC call as read from the request body, before it is dispatched: the method's name, its
/// <c>arguments</c> and the <c>tag</c> the answer echoes.
/// </summary>
internal sealed record TransmissionRequest(string Method, TransmissionArguments Arguments, JsonNode? Tag)
{
    /// <summary>The call in <paramref name="body"/> (JSON, whatever the Content-Type said).</summary>
    /// <exception cref="TransmissionFailure">The body is not JSON, not one object, or lacks a method name; the tag, once read, travels with it.</exception>
    public static TransmissionRequest Parse(byte[] body)
    {
        JsonObject call;
        try
        {
            call = JsonBody.Parse(body) as JsonObject
                ?? throw new TransmissionFailure("The request must be one JSON object: {\"method\": \"...\", \"arguments\": {...}, \"tag\": N}.");
        }
        catch (JsonException)
        {
            throw new TransmissionFailure("The request body is not JSON: send {\"method\": \"...\", \"arguments\": {...}, \"tag\": N}.");
        }

        var tag = call["tag"] is JsonValue tagValue && tagValue.GetValueKind() == JsonValueKind.Number ? tagValue.DeepClone() : null;
        if (call["method"] is not JsonValue methodValue || methodValue.GetValueKind() != JsonValueKind.String)
        {
            throw new TransmissionFailure("no method name", tag);
        }

        if (call["arguments"] is not (null or JsonObject))
        {
            throw new TransmissionFailure("'arguments' must be an object.", tag);
        }

        return new TransmissionRequest(methodValue.GetValue<string>(), new TransmissionArguments(call["arguments"] as JsonObject), tag);
    }
}
