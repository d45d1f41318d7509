using System.Text.Json.Nodes;

namespace SmartShare.Cli.Commands;

/// <summary>The <c>status</c> answer's <c>port_mapping</c> section as one line for a person.</summary>
internal static class PortMappingText
{
    /// <summary>"Router:     mapped through pcp, external address 11.77.1.1; tcp 4444 → 4444, ..." or the state and its reason; null without the section.</summary>
    public static string? Describe(JsonObject status)
    {
        if (status["port_mapping"] is not JsonObject section)
        {
            return null;
        }

        var state = section["state"]?.GetValue<string>() ?? "unknown";
        var reason = section["reason"]?.GetValue<string>() ?? string.Empty;
        if (state != "mapped")
        {
            return $"Router:     port mapping {state}: {reason}";
        }

        var mappings = (section["mappings"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .Select(mapping => $"{mapping["protocol"]} {mapping["internal_port"]} → {mapping["external_port"]}");
        return $"Router:     mapped through {section["method"]}, external address {section["external_address"]}; {string.Join(", ", mappings)}";
    }
}
