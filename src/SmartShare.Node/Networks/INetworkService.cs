using System.Net;
using System.Text.Json.Nodes;

namespace SmartShare.Node.Networks;

/// <summary>
/// One peer-to-peer network the node takes part in (LBRY, BitTorrent): its DHT, its listener for peers, and the
/// loops that keep it joined and announced. The host starts every registered network in order before the API and
/// stops them in reverse order after it, the same way for each; transfers run above them.
/// </summary>
public interface INetworkService
{
    /// <summary>Its name in the status answer's <c>networks</c> section: <c>lbry</c>, <c>bittorrent</c>.</summary>
    string Name { get; }

    /// <summary>What it has bound (empty before start, kept after stop so a caller can still say what was used).</summary>
    IReadOnlyList<NetworkEndPoint> EndPoints { get; }

    /// <summary>Binds its DHT and listener and starts its loops.</summary>
    /// <exception cref="Hosting.NodeStartException">A port is taken or a bootstrap name does not resolve.</exception>
    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Ends its loops, saves what it learned for the next start and releases its ports. Ports are released even
    /// when <paramref name="cancellationToken"/> has fired; the token only bounds waiting for its loops.
    /// </summary>
    Task StopAsync(CancellationToken cancellationToken);

    /// <summary>The network's own facts for <c>status</c> (not its transfers'); null before start.</summary>
    JsonObject? Describe();
}

/// <summary>An address a network listens on: its role (<c>dht</c>, <c>peers</c>, <c>utp</c>, <c>blob_exchange</c>), protocol and bound end point (its family in the JSON: <c>ipv4</c>, <c>ipv6</c>).</summary>
public sealed record NetworkEndPoint(string Role, string Protocol, IPEndPoint EndPoint)
{
    public JsonObject ToJson() => new()
    {
        ["role"] = Role,
        ["protocol"] = Protocol,
        ["address"] = EndPoint.Address.ToString(),
        ["port"] = EndPoint.Port,
        ["family"] = EndPoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "ipv6" : "ipv4",
    };
}
