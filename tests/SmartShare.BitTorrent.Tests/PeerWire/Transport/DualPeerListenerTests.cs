using System.Net;
using System.Net.Sockets;
using SmartShare.BitTorrent.PeerWire.Transport;
using SmartShare.BitTorrent.Utp;
using SmartShare.Networking;

namespace SmartShare.BitTorrent.Tests.PeerWire.Transport;

/// <summary>A <see cref="DualPeerTransport"/> on real loopback sockets: one listener takes TCP and uTP on one port number.</summary>
public sealed class DualPeerListenerTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task One_listener_accepts_tcp_and_utp_on_one_port_number_and_each_link_names_its_transport()
    {
        using var limit = new CancellationTokenSource(Limit);
        var (udp, listener, server) = await BindBothAsync();
        await using var _ = udp;
        await using var __ = listener;
        await using var client = SharedUdpPort.Bind(new IPEndPoint(IPAddress.Loopback, 0), SecureRandomSource.Instance);
        var utp = new UtpPeerTransport(client.Utp);
        var dialer = new DualPeerTransport(TcpPeerTransport.Default, PeerTransportMode.Both);
        dialer.AddUtp(utp, AddressFamily.InterNetwork);

        await using var overUtp = await utp.ConnectAsync(listener.LocalEndPoint, limit.Token);
        Assert.Equal("utp", overUtp.Transport);
        await overUtp.Stream.WriteAsync(new byte[] { 1 }, limit.Token);
        await using var acceptedUtp = await listener.AcceptAsync(limit.Token);
        Assert.Equal("utp", acceptedUtp.Transport);
        Assert.Equal(1, await ReadByteAsync(acceptedUtp.Stream, limit.Token));

        // Both: a peer on this machine is dialed on TCP first, which answers on loopback at once.
        await using var overTcp = await dialer.ConnectAsync(listener.LocalEndPoint, limit.Token);
        Assert.Equal("tcp", overTcp.Transport);
        await using var acceptedTcp = await listener.AcceptAsync(limit.Token);
        Assert.Equal("tcp", acceptedTcp.Transport);
        Assert.Equal(server, listener.LocalEndPoint);
    }

    private static async Task<int> ReadByteAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[1];
        return await stream.ReadAsync(buffer, cancellationToken) == 1 ? buffer[0] : -1;
    }

    // A UDP port, then TCP on the same number (another number when a program holds that one on TCP).
    private static async Task<(SharedUdpPort Udp, IPeerListener Listener, IPEndPoint EndPoint)> BindBothAsync()
    {
        for (var attempt = 0; ; attempt++)
        {
            var udp = SharedUdpPort.Bind(new IPEndPoint(IPAddress.Loopback, 0), SecureRandomSource.Instance);
            var transport = new DualPeerTransport(TcpPeerTransport.Default, PeerTransportMode.Both);
            transport.AddUtp(new UtpPeerTransport(udp.Utp), AddressFamily.InterNetwork);
            try
            {
                var listener = transport.Listen(udp.LocalEndPoint);
                return (udp, listener, udp.LocalEndPoint);
            }
            catch (SocketException) when (attempt < 10)
            {
                await udp.DisposeAsync();
            }
        }
    }
}
