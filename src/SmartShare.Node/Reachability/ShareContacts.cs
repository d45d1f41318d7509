using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using SmartShare.Node.Networks;
using SmartShare.Node.Settings;
using SmartShare.Node.Shares;

namespace SmartShare.Node.Reachability;

/// <summary>
/// The contacts a share names for this node (the .smartshare file's and the magnet's), from what the node knows now:
/// the <c>advertise</c> setting, the router's mappings, the voted external address, where each network is bound and
/// this machine's addresses. The order is <see cref="ContactPlan"/>'s.
/// </summary>
public sealed class ShareContacts(IPortMappings mappings, ExternalAddressVote vote, NodeSettingsStore settings, IEnumerable<INetworkService> networks)
{
    /// <summary>This machine's addresses (tests replace it). Default: every address of its interfaces that are up, but loopback and link-local.</summary>
    internal Func<IReadOnlyList<IPAddress>> InterfaceAddresses { get; set; } = MachineAddresses;

    /// <summary>The LBRY contacts: each names the DHT (UDP) and blob-exchange (TCP) endpoint.</summary>
    /// <param name="advertise">The share's own --advertise; when empty, the <c>advertise</c> setting's.</param>
    /// <param name="port">The port to name (the node's own, or the one a later node will use).</param>
    public IReadOnlyList<SmartShareContact> ForStream(IReadOnlyList<string> advertise, int port) =>
        ContactPlan.Order(Inputs("lbry", advertise, tcpPort: port, udpPort: port, tcpRole: "blob_exchange", udpRole: "dht"));

    /// <summary>A torrent's peers (x.pe, TCP <paramref name="peerPort"/>) and its Mainline DHT nodes (UDP <paramref name="dhtPort"/>); 0 for none.</summary>
    public (IReadOnlyList<SmartShareEndpoint> Peers, IReadOnlyList<SmartShareEndpoint> DhtNodes) ForTorrent(IReadOnlyList<string> advertise, int peerPort, int dhtPort)
    {
        var contacts = ContactPlan.Order(Inputs("bittorrent", advertise, tcpPort: peerPort, udpPort: dhtPort, tcpRole: "peers", udpRole: "dht"));
        return (
            peerPort == 0 ? [] : contacts.Select(contact => contact.Blob).OfType<SmartShareEndpoint>().Distinct().ToList(),
            dhtPort == 0 ? [] : contacts.Select(contact => contact.Dht).OfType<SmartShareEndpoint>().Distinct().ToList());
    }

    private ContactInputs Inputs(string network, IReadOnlyList<string> advertise, int tcpPort, int udpPort, string tcpRole, string udpRole)
    {
        ArgumentNullException.ThrowIfNull(advertise);
        var endPoints = networks.FirstOrDefault(candidate => candidate.Name == network)?.EndPoints ?? [];
        return new ContactInputs
        {
            Advertise = advertise.Count > 0 ? advertise : settings.Current.Advertise,
            TcpPort = tcpPort,
            UdpPort = udpPort,
            Mappings = mappings.Current,
            External = [.. vote.Addresses.Select(address => address.Address)],
            BoundTcp = [.. endPoints.Where(endPoint => endPoint.Protocol == "tcp" && endPoint.Role == tcpRole).Select(endPoint => endPoint.EndPoint)],
            BoundUdp = [.. endPoints.Where(endPoint => endPoint.Protocol == "udp" && endPoint.Role == udpRole).Select(endPoint => endPoint.EndPoint)],
            Interfaces = InterfaceAddresses(),
        };
    }

    private static List<IPAddress> MachineAddresses() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(nic => nic.OperationalStatus == OperationalStatus.Up && nic.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(nic => nic.GetIPProperties().UnicastAddresses)
            .Select(unicast => unicast.Address)
            .Where(address => !IPAddress.IsLoopback(address) &&
                              !(address.AddressFamily == AddressFamily.InterNetworkV6 && (address.IsIPv6LinkLocal || address.IsIPv6SiteLocal)) &&
                              !(address.AddressFamily == AddressFamily.InterNetwork && address.GetAddressBytes() is [169, 254, ..]))
            .ToList();
}
