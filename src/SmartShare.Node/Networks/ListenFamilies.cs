using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using SmartShare.Node.Hosting;
using SmartShare.Node.Settings;

namespace SmartShare.Node.Networks;

/// <summary>
/// Which addresses the networks bind, from the <c>bind</c> setting. Left at its default, the node listens on IPv4
/// (0.0.0.0) and, where the machine has IPv6, on IPv6 (::) with the same port numbers; an IPv6 socket that cannot
/// be bound (no IPv6, port taken) is a warning and a line in <c>status</c>, never a failed start. <c>bind ::</c>
/// asks for both families, and then a failed IPv6 socket fails the start. Any other address (0.0.0.0 set by hand
/// included) is that one address, so that one family. The IPv6 sockets are IPv6-only: the IPv4 side keeps its own.
/// </summary>
internal sealed record ListenFamilies(IPAddress Primary, IPAddress? Ipv6, bool Ipv6Required)
{
    public static ListenFamilies Of(NodeSettingsStore settings)
    {
        var bind = IPAddress.Parse(settings.Current.BindAddress);
        if (NetworkPorts.IsDefault(settings, NodeSettingKeys.BindAddress))
        {
            return new ListenFamilies(bind, IPAddress.IPv6Any, Ipv6Required: false);
        }

        return bind.Equals(IPAddress.IPv6Any)
            ? new ListenFamilies(IPAddress.Any, IPAddress.IPv6Any, Ipv6Required: true)
            : new ListenFamilies(bind, null, Ipv6Required: false);
    }
}

/// <summary>What one network's IPv6 side bound, and why a socket could not be: the <c>ipv6</c> object of its status.</summary>
internal sealed partial class Ipv6Side(ListenFamilies families, ILogger logger)
{
    private readonly List<string> _problems = [];
    private int _bound;

    /// <summary>Binds one IPv6 socket; a failure throws when <c>bind</c> asked for IPv6, else is logged and kept.</summary>
    /// <exception cref="NodeStartException">The user asked for IPv6 (<c>bind ::</c>) and the socket cannot be bound.</exception>
    public IPEndPoint? TryBind(string what, Func<IPEndPoint> bind)
    {
        try
        {
            var bound = bind();
            _bound++;
            return bound;
        }
        catch (SocketException ex)
        {
            if (families.Ipv6Required)
            {
                throw new NodeStartException(
                    $"Cannot listen on {what}: {ex.Message}. The 'bind' setting asks for IPv6 (::); is another program on that port, or does this machine lack IPv6? Choose another port, or bind 0.0.0.0 for IPv4 only.", ex);
            }

            var problem = $"{what}: {ex.Message}";
            lock (_problems)
            {
                _problems.Add(problem);
            }

            LogIpv6Unavailable(logger, problem);
            return null;
        }
    }

    public JsonObject ToJson()
    {
        string[] problems;
        lock (_problems)
        {
            problems = [.. _problems];
        }

        var state = families.Ipv6 is null ? "off" : problems.Length == 0 ? "listening" : _bound == 0 ? "unavailable" : "partial";
        return new JsonObject
        {
            ["state"] = state,
            ["problems"] = new JsonArray([.. problems.Select(problem => (JsonNode?)JsonValue.Create(problem))]),
        };
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not listening on IPv6 for {Problem}; IPv4 only there.")]
    private static partial void LogIpv6Unavailable(ILogger logger, string problem);
}
