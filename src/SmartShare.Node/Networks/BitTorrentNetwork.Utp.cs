using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using SmartShare.BitTorrent.PeerWire.Transport;
using SmartShare.BitTorrent.Utp;

namespace SmartShare.Node.Networks;

/// <summary>The UDP side of the BitTorrent port: uTP peers (bt_transport) and the DHT, on IPv4 and IPv6.</summary>
public sealed partial class BitTorrentNetwork
{
    internal static PeerTransportMode TransportModeOf(string setting) => setting switch
    {
        "tcp" => PeerTransportMode.Tcp,
        "utp" => PeerTransportMode.Utp,
        _ => PeerTransportMode.Both,
    };

    private static string UdpPurpose(bool dht) => dht ? "the Mainline DHT" : "uTP peers";

    // With debug logs on (--verbose), each uTP connection's counters when it closes; off, not even the line is built.
    private static void LogUtpClosings(SharedUdpPort port, ILogger logger)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            port.Utp.Log = message => LogEngine(logger, "uTP " + message);
        }
    }

    private static async ValueTask DisposeQuietlyAsync(SharedUdpPort? port)
    {
        if (port is not null)
        {
            await port.DisposeAsync();
        }
    }

    // The rows of one family: TCP peers unless uTP only; the UDP port as the DHT's, or as uTP peers' ("utp") when the DHT is off.
    private void AddEndPoints(List<NetworkEndPoint> endPoints, IPEndPoint? tcp, IPEndPoint? udp)
    {
        if (tcp is not null && _transportMode != PeerTransportMode.Utp)
        {
            endPoints.Add(new NetworkEndPoint("peers", "tcp", tcp));
        }

        if (udp is not null)
        {
            endPoints.Add(_dht is not null ? new NetworkEndPoint("dht", "udp", udp) : new NetworkEndPoint("utp", "udp", udp));
        }
    }

    // The IPv6 listeners of the same port number: TCP (unless uTP only), then the IPv6 UDP port for uTP and the DHT.
    private void StartIpv6(List<NetworkEndPoint> endPoints, IPAddress ipv6, int port, bool udpWanted)
    {
        var (client, dht, transport, side) = (Client, _dht, _transport!, _ipv6!);
        IPEndPoint? tcp6 = null;
        if (_transportMode != PeerTransportMode.Utp)
        {
            // The transport has no IPv6 uTP yet, so this listens on TCP alone; uTP is added below.
            tcp6 = side.TryBind($"TCP [{ipv6}]:{port} for BitTorrent peers", () => client.ListenAlso(new IPEndPoint(ipv6, port)));
        }

        IPEndPoint? udp6 = null;
        if (udpWanted)
        {
            udp6 = side.TryBind($"UDP [{ipv6}]:{port} for {UdpPurpose(dht is not null)}", () =>
            {
                _udp6 = SharedUdpPort.Bind(new IPEndPoint(ipv6, port), random, time: time);
                LogUtpClosings(_udp6, logger);
                return _udp6.LocalEndPoint;
            });
        }

        if (_udp6 is { } shared6)
        {
            if (_transportMode != PeerTransportMode.Tcp)
            {
                var utp6 = new UtpPeerTransport(shared6.Utp);
                transport.AddUtp(utp6, AddressFamily.InterNetworkV6);
                client.AcceptAlso(utp6.Listen(shared6.LocalEndPoint));
            }

            dht?.AddIpv6(shared6.Others, time, random);
        }

        AddEndPoints(endPoints, tcp6, udp6);
    }

    // Counters of every uTP socket (IPv4 and IPv6); null when uTP is off.
    private JsonObject? DescribeUtp()
    {
        if (_transportMode == PeerTransportMode.Tcp)
        {
            return null;
        }

        UtpSocket[] sockets = [.. new[] { _udp, _udp6 }.OfType<SharedUdpPort>().Select(port => port.Utp)];
        return new JsonObject
        {
            ["connections"] = sockets.Sum(socket => socket.ConnectionCount),
            ["syns_refused"] = sockets.Sum(socket => socket.Refused),
            ["resets_sent"] = sockets.Sum(socket => socket.ResetsSent),
            ["malformed"] = sockets.Sum(socket => socket.Malformed),
            ["packets_resent"] = sockets.Sum(socket => socket.PacketsResent),
            ["halvings_undone"] = sockets.Sum(socket => socket.HalvingsUndone),
            ["timeouts"] = sockets.Sum(socket => socket.Timeouts),
            ["remembered_peers"] = _transport?.Remembered ?? 0,
        };
    }
}
