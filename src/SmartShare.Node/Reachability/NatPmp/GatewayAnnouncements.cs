using System.Net;
using System.Net.Sockets;

namespace SmartShare.Node.Reachability.NatPmp;

/// <summary>
/// Listens on 224.0.0.1:5350 for what a NAT-PMP/PCP gateway multicasts when it starts or its external address
/// changes (RFC 6886 §3.2.1, RFC 6887 §14.1.3: miniupnpd sends a PCP ANNOUNCE), so a rebooted router is noticed at
/// once instead of at the next renewal. Only datagrams from the gateway's address and port 5351 that decode as a
/// NAT-PMP or PCP answer count, and at most one per <see cref="MinInterval"/>, so a LAN host cannot make the node
/// flood the router.
/// </summary>
internal sealed class GatewayAnnouncements : IDisposable
{
    public const int Port = 5350;

    public static readonly IPAddress Group = IPAddress.Parse("224.0.0.1");

    public static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(10);

    private readonly IPAddress _gateway;
    private readonly TimeProvider _time;
    private readonly Action _announced;
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private DateTimeOffset _last = DateTimeOffset.MinValue;

    private GatewayAnnouncements(IPAddress gateway, TimeProvider time, Action announced, Socket socket)
    {
        _gateway = gateway;
        _time = time;
        _announced = announced;
        _socket = socket;
        _ = Task.Run(ReceiveAsync);
    }

    /// <summary>Starts listening on the interface of <paramref name="localAddress"/>; null when the port or group cannot be joined (the node then relies on renewals).</summary>
    public static GatewayAnnouncements? TryStart(IPAddress gateway, IPAddress localAddress, TimeProvider time, Action announced)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(new IPEndPoint(IPAddress.Any, Port));
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(Group, localAddress));
            return new GatewayAnnouncements(gateway, time, announced, socket);
        }
        catch (SocketException)
        {
            socket.Dispose();
            return null;
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
        _stop.Dispose();
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[PcpCodec.MaxMessage + 1];
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
            }
            catch (Exception error) when (error is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            if (received.RemoteEndPoint is IPEndPoint { Port: NatPmpCodec.Port } from && from.Address.Equals(_gateway) && IsAnnouncement(buffer.AsSpan(0, received.ReceivedBytes)))
            {
                var now = _time.GetUtcNow();
                if (now - _last >= MinInterval)
                {
                    _last = now;
                    _announced();
                }
            }
        }
    }

    private static bool IsAnnouncement(ReadOnlySpan<byte> datagram)
    {
        try
        {
            return datagram.Length > 0 && datagram[0] == NatPmpCodec.Version
                ? NatPmpCodec.Decode(datagram).Opcode == NatPmpCodec.ExternalAddressOpcode
                : PcpCodec.Decode(datagram) is { Version: PcpCodec.Version, Opcode: PcpCodec.AnnounceOpcode };
        }
        catch (NatPmpFormatException)
        {
            return false;
        }
    }
}
