using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using SmartShare.Node.Shares;

namespace SmartShare.Node.Reachability;

/// <summary>What <see cref="ContactPlan.Order"/> builds the contacts of a share from.</summary>
public sealed record ContactInputs
{
    /// <summary>HOST[:PORT] the user gave (<c>share --advertise</c>, else the <c>advertise</c> setting); when any, they alone are the contacts.</summary>
    public IReadOnlyList<string> Advertise { get; init; } = [];

    /// <summary>The port peers reach over TCP (blob exchange, BitTorrent peers); 0 for none.</summary>
    public int TcpPort { get; init; }

    /// <summary>The port the DHT answers on over UDP (LBRY DHT, Mainline DHT); 0 for none.</summary>
    public int UdpPort { get; init; }

    /// <summary>What the router forwards to this node now.</summary>
    public IReadOnlyList<PortMapping> Mappings { get; init; } = [];

    /// <summary>This node's external addresses as voted (IPv4 first).</summary>
    public IReadOnlyList<IPAddress> External { get; init; } = [];

    /// <summary>Where the network's TCP listener is bound (decides which address families may be named, and a single bound address).</summary>
    public IReadOnlyList<IPEndPoint> BoundTcp { get; init; } = [];

    /// <summary>Where the network's UDP socket is bound.</summary>
    public IReadOnlyList<IPEndPoint> BoundUdp { get; init; } = [];

    /// <summary>This machine's usable interface addresses (no loopback, no link-local).</summary>
    public IReadOnlyList<IPAddress> Interfaces { get; init; } = [];
}

/// <summary>
/// Orders the contacts a share names, so that a receiver outside the LAN and one inside both connect: the
/// user's --advertise (or <c>advertise</c> setting) alone when given; else the router's mapped external address and
/// ports first, then the voted external address with our own ports when the router maps nothing (a port forwarded
/// by hand usually keeps its number, and a dead address costs a receiver one failed attempt among several), then the
/// LAN addresses (the one bound address when the node is bound to one). Never an address of a family the node does
/// not listen on (a socket bound to <c>::</c> takes IPv4 too), never loopback unless the node is bound to it.
/// </summary>
public static class ContactPlan
{
    /// <summary>The contacts in order, each with its DHT (UDP) and peer (TCP) endpoint where the node has one.</summary>
    /// <exception cref="SmartShareFormatException">An advertised HOST[:PORT] is not a valid endpoint.</exception>
    public static IReadOnlyList<SmartShareContact> Order(ContactInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Advertise.Count > 0)
        {
            return [.. inputs.Advertise.Select(text => Advertised(text, inputs)).Distinct()];
        }

        // A role with nothing bound (a one-off node without the Mainline DHT naming the ports of a later node) takes
        // the families of the network's other socket, which the later node binds on the same address.
        var tcp = Families(inputs.BoundTcp.Count > 0 ? inputs.BoundTcp : inputs.BoundUdp);
        var udp = Families(inputs.BoundUdp.Count > 0 ? inputs.BoundUdp : inputs.BoundTcp);
        var contacts = new List<SmartShareContact>();

        // 1. The router's mappings of our ports, grouped by the external address it gave.
        var mapped = inputs.Mappings
            .Where(mapping => mapping.External.Port is > 0 and <= 65535 && PublicAddress.IsPublic(mapping.External.Address))
            .Where(mapping => (mapping.Protocol == "tcp" && inputs.TcpPort != 0 && mapping.InternalPort == inputs.TcpPort)
                           || (mapping.Protocol == "udp" && inputs.UdpPort != 0 && mapping.InternalPort == inputs.UdpPort))
            .ToList();
        var mappedAddresses = mapped.Select(mapping => PublicAddress.Normalize(mapping.External.Address)).Distinct().ToList();
        foreach (var address in mappedAddresses)
        {
            var tcpMapping = mapped.FirstOrDefault(mapping => mapping.Protocol == "tcp" && PublicAddress.Normalize(mapping.External.Address).Equals(address));
            var udpMapping = mapped.FirstOrDefault(mapping => mapping.Protocol == "udp" && PublicAddress.Normalize(mapping.External.Address).Equals(address));
            Add(contacts, address, udpMapping?.External.Port ?? 0, tcpMapping?.External.Port ?? 0, tcp, udp);
        }

        // 2. The voted external address with our own ports, for a family the router mapped nothing in.
        foreach (var address in inputs.External.Select(PublicAddress.Normalize).Where(PublicAddress.IsPublic))
        {
            if (!mappedAddresses.Any(other => other.AddressFamily == address.AddressFamily))
            {
                Add(contacts, address, inputs.UdpPort, inputs.TcpPort, tcp, udp);
            }
        }

        // 3. The LAN: the one address the node is bound to, else every interface address.
        var bound = inputs.BoundTcp.Concat(inputs.BoundUdp)
            .Select(endPoint => PublicAddress.Normalize(endPoint.Address))
            .Where(address => !address.Equals(IPAddress.Any) && !address.Equals(IPAddress.IPv6Any))
            .Distinct()
            .ToList();
        IEnumerable<IPAddress> lan = bound.Count > 0
            ? bound
            : inputs.Interfaces.Select(PublicAddress.Normalize).Where(address => !IPAddress.IsLoopback(address)).OrderBy(address => address.AddressFamily == AddressFamily.InterNetwork ? 0 : 1);
        foreach (var address in lan)
        {
            Add(contacts, address, inputs.UdpPort, inputs.TcpPort, tcp, udp);
        }

        return [.. contacts.Distinct()];
    }

    /// <summary>Most entries the <c>advertise</c> setting holds.</summary>
    public const int MaxAdvertised = 16;

    /// <summary>
    /// Reads the <c>advertise</c> setting: a list of HOST or HOST:PORT (a DNS name, an IPv4 address, an IPv6 address
    /// bare or in brackets with a port). Throws <see cref="FormatException"/> with the rest of a sentence after the key.
    /// </summary>
    public static List<string> ParseAdvertiseSetting(JsonNode? value)
    {
        if (value is not JsonArray array)
        {
            throw new FormatException($"must be a list of HOST[:PORT] strings, not {value?.ToJsonString() ?? "null"}");
        }

        if (array.Count > MaxAdvertised)
        {
            throw new FormatException($"holds {array.Count} addresses; name at most {MaxAdvertised}");
        }

        var items = new List<string>();
        foreach (var item in array)
        {
            var text = item is JsonValue json && json.TryGetValue<string>(out var s) ? s.Trim() : throw new FormatException($"must hold HOST[:PORT] strings, not {item?.ToJsonString() ?? "null"}");
            try
            {
                // Checked as a share would write it: port 1 stands in for a network's own port.
                _ = Advertised(text, new ContactInputs { TcpPort = 1, UdpPort = 1 });
            }
            catch (SmartShareFormatException ex)
            {
                throw new FormatException($"must hold addresses receivers can reach, HOST or HOST:PORT such as 203.0.113.5:4444, [2001:db8::5]:4444 or home.example.org: {ex.Message.TrimEnd('.')}", ex);
            }

            items.Add(text);
        }

        return items;
    }

    /// <summary>The address families a set of bound sockets accepts: an IPv6 wildcard takes IPv4 too (dual-stack).</summary>
    public static IReadOnlySet<AddressFamily> Families(IEnumerable<IPEndPoint> bound)
    {
        ArgumentNullException.ThrowIfNull(bound);
        var families = new HashSet<AddressFamily>();
        foreach (var endPoint in bound)
        {
            var address = PublicAddress.Normalize(endPoint.Address);
            families.Add(address.AddressFamily);
            if (address.Equals(IPAddress.IPv6Any))
            {
                families.Add(AddressFamily.InterNetwork);
            }
        }

        return families;
    }

    private static void Add(List<SmartShareContact> contacts, IPAddress address, int udpPort, int tcpPort, IReadOnlySet<AddressFamily> tcp, IReadOnlySet<AddressFamily> udp)
    {
        var host = address.ToString();
        var dht = udpPort is > 0 and <= 65535 && udp.Contains(address.AddressFamily) ? new SmartShareEndpoint(host, udpPort) : null;
        var blob = tcpPort is > 0 and <= 65535 && tcp.Contains(address.AddressFamily) ? new SmartShareEndpoint(host, tcpPort) : null;
        if (dht is not null || blob is not null)
        {
            contacts.Add(new SmartShareContact(dht, blob));
        }
    }

    // HOST:PORT names one endpoint for both roles; a HOST without a port takes each role's own port.
    private static SmartShareContact Advertised(string text, ContactInputs inputs)
    {
        var trimmed = text.Trim();
        SmartShareEndpoint? With(int port) => port == 0 ? null : SmartShareEndpoint.Parse(new SmartShareEndpoint(trimmed.Trim('[', ']'), port).ToString());
        if (IPAddress.TryParse(trimmed.Trim('[', ']'), out var address))
        {
            trimmed = address.ToString();
            return Checked(new SmartShareContact(With(inputs.UdpPort), With(inputs.TcpPort)), text);
        }

        if (trimmed.Contains(':', StringComparison.Ordinal))
        {
            var endPoint = SmartShareEndpoint.Parse(trimmed);
            return new SmartShareContact(endPoint, endPoint);
        }

        return Checked(new SmartShareContact(With(inputs.UdpPort), With(inputs.TcpPort)), text);
    }

    private static SmartShareContact Checked(SmartShareContact contact, string text) =>
        contact.Dht is null && contact.Blob is null
            ? throw new SmartShareFormatException($"The advertised address '{text}' has no port, and this network has none of its own to name; write it as host:port.")
            : contact;
}
