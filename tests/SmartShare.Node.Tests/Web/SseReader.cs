using System.Text.Json.Nodes;

namespace SmartShare.Node.Tests.Web;

/// <summary>Reads server-sent events from a response stream: each event's name and its data parsed as JSON.</summary>
internal sealed class SseReader(Stream stream) : IDisposable
{
    private readonly StreamReader _reader = new(stream);

    /// <summary>The next event, or null when the stream ended; comments and retry lines are skipped.</summary>
    public async Task<(string Name, JsonObject Data)?> NextAsync(CancellationToken cancellationToken)
    {
        string? name = null;
        var data = new List<string>();
        while (await _reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Count > 0)
                {
                    return (name ?? "message", (JsonObject)JsonNode.Parse(string.Join('\n', data))!);
                }

                name = null;
                continue;
            }

            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line["event: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data.Add(line["data: ".Length..]);
            }
        }

        return null;
    }

    /// <summary>The first event that meets <paramref name="condition"/>, within <paramref name="limit"/>.</summary>
    public async Task<JsonObject> WaitForAsync(Func<JsonObject, bool> condition, TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        while (await NextAsync(timeout.Token) is { } next)
        {
            if (condition(next.Data))
            {
                return next.Data;
            }
        }

        throw new InvalidOperationException("The event stream ended before the expected event.");
    }

    public void Dispose() => _reader.Dispose();
}
