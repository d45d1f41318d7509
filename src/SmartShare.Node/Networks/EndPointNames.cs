using System.Net;
using System.Net.Sockets;
using SmartShare.Node.Hosting;

namespace SmartShare.Node.Networks;

/// <summary>Resolves the HOST:PORT names of bootstrap settings and magnet links to IPv4 end points.</summary>
internal static class EndPointNames
{
    /// <summary>Resolves a HOST:PORT list setting (already checked by the settings); a name that does not resolve stops the start.</summary>
    /// <exception cref="NodeStartException">A host name does not resolve to an IPv4 address.</exception>
    public static async Task<IReadOnlyList<IPEndPoint>> ResolveSettingAsync(IReadOnlyList<string> items, string setting, CancellationToken cancellationToken)
    {
        var endPoints = new List<IPEndPoint>();
        foreach (var text in items)
        {
            var colon = text.LastIndexOf(':');
            var host = text[..colon].Trim('[', ']');
            var port = int.Parse(text.AsSpan(colon + 1), System.Globalization.CultureInfo.InvariantCulture);
            try
            {
                var resolved = await ResolveAsync(host, port, cancellationToken);
                endPoints.Add(resolved.Count > 0 ? resolved[0] : throw new NodeStartException($"The {setting} host '{host}' has no IPv4 address."));
            }
            catch (SocketException ex)
            {
                throw new NodeStartException($"Cannot resolve the {setting} host '{host}': {ex.Message}.", ex);
            }
        }

        return endPoints;
    }

    /// <summary>An address as it is, or the IPv4 addresses a name resolves to.</summary>
    /// <exception cref="SocketException">The name does not resolve.</exception>
    public static async Task<IReadOnlyList<IPEndPoint>> ResolveAsync(string host, int port, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host.Trim('[', ']'), out var address))
        {
            return [new IPEndPoint(address, port)];
        }

        var addresses = await Dns.GetHostAddressesAsync(host, cancellationToken);
        return [.. addresses.Where(candidate => candidate.AddressFamily == AddressFamily.InterNetwork).Select(candidate => new IPEndPoint(candidate, port))];
    }
}
