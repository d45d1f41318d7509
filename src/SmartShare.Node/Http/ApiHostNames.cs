using System.Net;
using System.Net.NetworkInformation;

namespace SmartShare.Node.Http;

/// <summary>
/// The names a request's <c>Host</c> may carry: <c>localhost</c>, any loopback address, the address the API is
/// bound to (every address of this machine when it is bound to all), and the names the user configured
/// (<c>api_hosts</c>). A page served from another name whose DNS now points at us (DNS rebinding) sends that
/// other name, so it is refused.
/// </summary>
public sealed class ApiHostNames
{
    private readonly HashSet<string> _names = new(StringComparer.OrdinalIgnoreCase) { "localhost" };
    private readonly HashSet<IPAddress> _addresses = [];

    public ApiHostNames(IPAddress boundAddress, IEnumerable<string> configuredNames)
    {
        ArgumentNullException.ThrowIfNull(boundAddress);
        ArgumentNullException.ThrowIfNull(configuredNames);
        foreach (var name in configuredNames)
        {
            _names.Add(name.TrimEnd('.'));
        }

        _addresses.Add(Normalize(boundAddress));
        if (boundAddress.Equals(IPAddress.Any) || boundAddress.Equals(IPAddress.IPv6Any))
        {
            foreach (var address in MachineAddresses())
            {
                _addresses.Add(Normalize(address));
            }
        }
    }

    /// <summary>Whether <paramref name="host"/> (a Host header's host part, without port) names this node.</summary>
    public bool IsAllowed(string? host)
    {
        if (string.IsNullOrEmpty(host))
        {
            return false;
        }

        var bare = host.Trim('[', ']').TrimEnd('.');
        if (IPAddress.TryParse(bare, out var address))
        {
            // Only a literal address: "127.1" or "2130706433" parse as addresses but no browser sends them as such.
            var normal = Normalize(address);
            return (bare.Contains(':', StringComparison.Ordinal) || bare.Count(c => c == '.') == 3)
                && (IPAddress.IsLoopback(normal) || _addresses.Contains(normal));
        }

        return _names.Contains(bare);
    }

    private static IPAddress Normalize(IPAddress address)
    {
        var withoutScope = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && address.ScopeId != 0
            ? new IPAddress(address.GetAddressBytes())
            : address;
        return withoutScope.IsIPv4MappedToIPv6 ? withoutScope.MapToIPv4() : withoutScope;
    }

    /// <summary>Every address of this machine's interfaces (none when they cannot be read).</summary>
    internal static List<IPAddress> MachineAddresses()
    {
        try
        {
            return NetworkInterface.GetAllNetworkInterfaces()
                .SelectMany(nic => nic.GetIPProperties().UnicastAddresses)
                .Select(unicast => unicast.Address)
                .ToList();
        }
        catch (NetworkInformationException)
        {
            return [];
        }
    }
}
