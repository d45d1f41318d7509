using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace SmartShare.Cli.Output;

/// <summary>
/// The <c>status</c> line about IPv6: what each network listens on over IPv6 (from <c>networks.*.end_points</c>),
/// or why it does not (<c>networks.*.ipv6</c>: off by the bind setting, or the sockets that could not be bound).
/// </summary>
internal static class Ipv6StatusLine
{
    public static string Describe(JsonObject status)
    {
        var networks = status["networks"] as JsonObject ?? [];
        var bound = new List<string>();
        var problems = new List<string>();
        var off = true;
        foreach (var (name, network) in networks)
        {
            foreach (var endPoint in (network?["end_points"] as JsonArray ?? []).OfType<JsonObject>())
            {
                if (IPAddress.TryParse(endPoint["address"]?.GetValue<string>(), out var address) && address.AddressFamily == AddressFamily.InterNetworkV6)
                {
                    bound.Add($"{name} {endPoint["role"]?.GetValue<string>()} {endPoint["protocol"]?.GetValue<string>()?.ToUpperInvariant()} [{address}]:{endPoint["port"]}");
                }
            }

            if (network?["ipv6"] is JsonObject ipv6)
            {
                off &= ipv6["state"]?.GetValue<string>() == "off";
                problems.AddRange((ipv6["problems"] as JsonArray ?? []).Select(problem => problem?.GetValue<string>() ?? string.Empty));
            }
        }

        var text = bound.Count > 0 ? $"IPv6:       {string.Join(", ", bound)}"
            : off && problems.Count == 0 ? "IPv6:       off (the bind setting names one IPv4 address)"
            : "IPv6:       not listening";
        return problems.Count == 0 ? text : $"{text}; not bound: {string.Join("; ", problems)}";
    }
}
