using System.Text.Json;
using System.Text.Json.Nodes;
using SmartShare.Lbry.Blobs;

namespace SmartShare.Node.Api;

/// <summary>
/// A request's named parameters with typed readers. Every reader throws <see cref="JsonRpcException"/> with
/// code -32602 and a sentence naming the parameter when it is missing or of the wrong type.
/// </summary>
public sealed class RpcParams
{
    public RpcParams(JsonObject? raw)
    {
        Raw = raw;
    }

    /// <summary>The params object as sent (null when the request had none).</summary>
    public JsonObject? Raw { get; }

    public bool Has(string name) => Raw is not null && Raw.TryGetPropertyValue(name, out var value) && value is not null;

    /// <summary>The parameter's JSON as sent, which must be present (it may be JSON null).</summary>
    public JsonNode? GetNode(string name) =>
        Raw is not null && Raw.TryGetPropertyValue(name, out var value)
            ? value
            : throw JsonRpcException.InvalidParams($"The parameter '{name}' is required.");

    public string GetString(string name) =>
        GetOptionalString(name) ?? throw JsonRpcException.InvalidParams($"The parameter '{name}' is required (a string).");

    public string? GetOptionalString(string name)
    {
        var value = Value(name);
        if (value is null)
        {
            return null;
        }

        return value.GetValueKind() == JsonValueKind.String
            ? value.GetValue<string>()
            : throw JsonRpcException.InvalidParams($"The parameter '{name}' must be a string, not {value.ToJsonString()}.");
    }

    public int GetInt32(string name, int defaultValue, int min = int.MinValue, int max = int.MaxValue)
    {
        var value = Value(name);
        if (value is null)
        {
            return defaultValue;
        }

        if (value.GetValueKind() != JsonValueKind.Number || !value.TryGetValue<int>(out var number) || number < min || number > max)
        {
            throw JsonRpcException.InvalidParams($"The parameter '{name}' must be a whole number from {min} to {max}, not {value.ToJsonString()}.");
        }

        return number;
    }

    public bool GetBoolean(string name, bool defaultValue)
    {
        var value = Value(name);
        if (value is null)
        {
            return defaultValue;
        }

        return value.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw JsonRpcException.InvalidParams($"The parameter '{name}' must be true or false, not {value.ToJsonString()}."),
        };
    }

    /// <summary>A required 96-hex-digit blob or sd hash.</summary>
    public BlobHash GetBlobHash(string name)
    {
        var text = GetString(name);
        try
        {
            return BlobHash.Parse(text, name);
        }
        catch (FormatException ex)
        {
            throw JsonRpcException.InvalidParams(ex.Message);
        }
    }

    private JsonValue? Value(string name)
    {
        if (Raw is null || !Raw.TryGetPropertyValue(name, out var node) || node is null)
        {
            return null;
        }

        return node as JsonValue ?? throw JsonRpcException.InvalidParams($"The parameter '{name}' must be a single value, not {node.ToJsonString()}.");
    }
}
