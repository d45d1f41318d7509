using System.Net;
using SmartShare.Networking;

namespace SmartShare.Node.LocalDiscovery;

/// <summary>
/// Where local discovery talks: BEP 14's groups for BitTorrent, and groups of our own next to them for LBRY
/// (documented in docs/architecture.md, "Local peer discovery").
/// </summary>
internal static class LocalDiscoveryGroups
{
    public static readonly IPAddress BitTorrentV4 = IPAddress.Parse("239.192.152.143");
    public static readonly IPAddress BitTorrentV6 = IPAddress.Parse("ff15::efc0:988f");
    public const int BitTorrentPort = 6771;

    public static readonly IPAddress LbryV4 = IPAddress.Parse("239.192.152.144");
    public static readonly IPAddress LbryV6 = IPAddress.Parse("ff15::efc0:9890");
    public const int LbryPort = 6772;

    public static IPAddress GroupV4(LanAnnounceFormat format) => format == LanAnnounceFormat.Lbry ? LbryV4 : BitTorrentV4;

    public static IPAddress GroupV6(LanAnnounceFormat format) => format == LanAnnounceFormat.Lbry ? LbryV6 : BitTorrentV6;

    public static int Port(LanAnnounceFormat format) => format == LanAnnounceFormat.Lbry ? LbryPort : BitTorrentPort;
}
