using System.Text.Json;
using System.Text.Json.Nodes;

namespace SmartShare.Node.Remote;

/// <summary>A request Transmission's way refused: the sentence goes into the answer's <c>result</c>, with the request's tag when it was read.</summary>
internal sealed class TransmissionFailure(string message, JsonNode? tag = null) : Exception(message)
{
    public JsonNode? Tag { get; } = tag;
}

/// <summary>
/// The <c>arguments</c> object of a Transmission request, read defensively: a value of the wrong kind is a
/// <see cref="TransmissionFailure"/> naming the key, never an exception from the JSON layer.
/// </summary>
internal sealed class TransmissionArguments(JsonObject? arguments)
{
    /// <summary>The most entries a list argument (ids, fields, file indexes) may hold.</summary>
    public const int MaxListLength = 10_000;

    public bool Has(string key) => arguments?.ContainsKey(key) == true;

    public IEnumerable<string> Keys => arguments?.Select(pair => pair.Key) ?? [];

    public JsonNode? Node(string key) => arguments?[key];

    public string? String(string key)
    {
        var node = Node(key);
        if (node is null)
        {
            return null;
        }

        return node is JsonValue value && value.GetValueKind() == JsonValueKind.String
            ? value.GetValue<string>()
            : throw new TransmissionFailure($"The argument '{key}' must be a string.");
    }

    /// <summary>A boolean, also as 0 or 1 (Transmission's own variant reads both).</summary>
    public bool? Boolean(string key)
    {
        var node = Node(key);
        return node switch
        {
            null => null,
            JsonValue value when value.GetValueKind() == JsonValueKind.True => true,
            JsonValue value when value.GetValueKind() == JsonValueKind.False => false,
            JsonValue value when value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<long>(out var number) && number is 0 or 1 => number == 1,
            _ => throw new TransmissionFailure($"The argument '{key}' must be true or false."),
        };
    }

    public long? Integer(string key, long min, long max)
    {
        var node = Node(key);
        if (node is null)
        {
            return null;
        }

        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<double>(out var number)
            && number >= min && number <= max && Math.Floor(number) == number)
        {
            return (long)number;
        }

        throw new TransmissionFailure($"The argument '{key}' must be a whole number from {min} to {max}.");
    }

    /// <summary>A list argument (absent: null); longer than <see cref="MaxListLength"/> is refused.</summary>
    public JsonArray? List(string key)
    {
        var node = Node(key);
        return node switch
        {
            null => null,
            JsonArray { Count: > MaxListLength } => throw new TransmissionFailure($"The argument '{key}' holds more than {MaxListLength:N0} entries."),
            JsonArray array => array,
            _ => throw new TransmissionFailure($"The argument '{key}' must be a list."),
        };
    }

    /// <summary>A list of strings, such as torrent-get's fields.</summary>
    public List<string>? Strings(string key) =>
        List(key)?.Select(item => item is JsonValue value && value.GetValueKind() == JsonValueKind.String
            ? value.GetValue<string>()
            : throw new TransmissionFailure($"The argument '{key}' must be a list of strings.")).ToList();

    /// <summary>Whether a list argument is present with at least one entry.</summary>
    public bool HasEntries(string key) => Node(key) switch
    {
        null => false,
        JsonArray array => array.Count > 0,
        _ => true,
    };
}
