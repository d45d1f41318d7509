using System.Text.Json.Nodes;

namespace SmartShare.Cli.Commands;

/// <summary>The <c>status</c> line for local peer discovery: off, or the groups joined and the peers found.</summary>
internal static class LocalDiscoveryLine
{
    public static string? Describe(JsonNode? section)
    {
        if (section is not JsonObject lan)
        {
            return null;
        }

        if (lan["enabled"]?.GetValue<bool>() != true)
        {
            return "LAN:        local discovery off";
        }

        var groups = (lan["groups"] as JsonArray ?? []).Count;
        var interfaces = (lan["groups"] as JsonArray ?? [])
            .Select(group => group?.GetValue<string>() is { } text && text.LastIndexOf(" on ", StringComparison.Ordinal) is var at and >= 0 ? text[(at + 4)..] : null)
            .OfType<string>()
            .Distinct(StringComparer.Ordinal)
            .ToList();
        if (groups == 0)
        {
            return "LAN:        local discovery on, but no interface with multicast (or the port is taken)";
        }

        return $"LAN:        local discovery on {string.Join(", ", interfaces)} ({groups} group(s)); " +
            $"{Count(lan["bittorrent"]?["peers_found"])} torrent peer(s), {Count(lan["lbry"]?["peers_found"])} stream peer(s) found";
    }

    private static long Count(JsonNode? node) => node is JsonValue value && value.TryGetValue<long>(out var number) ? number : 0;
}
