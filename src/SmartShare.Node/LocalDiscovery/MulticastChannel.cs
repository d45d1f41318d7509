using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace SmartShare.Node.LocalDiscovery;

/// <summary>An interface local discovery talks on: its index, and its IPv4 address when it has one.</summary>
internal sealed record MulticastInterface(string Name, int Index, IPAddress? V4, bool HasV6);

/// <summary>
/// One multicast group pair (IPv4 and IPv6) on one UDP port, joined on every chosen interface: sends a datagram
/// out of each interface with TTL/hops 1 (it never leaves the link) and hands each datagram received, with its
/// sender, to a callback. Several programs on one host share the port (SO_REUSEADDR, as libtorrent does), and
/// loopback is on, so two nodes on one machine hear each other. A group that cannot be joined (no IPv6, an
/// interface gone) is left out and said in <see cref="Groups"/>'s absence, never an error.
/// </summary>
internal sealed class MulticastChannel : ILanTransport, IDisposable
{
    private const int ReceiveBuffer = 2048;

    private readonly Socket? _v4;
    private readonly Socket? _v6;
    private readonly IPEndPoint _groupV4;
    private readonly IPEndPoint _groupV6;
    private readonly List<MulticastInterface> _v4Interfaces = [];
    private readonly List<MulticastInterface> _v6Interfaces = [];
    private readonly Lock _sendLock = new();
    private readonly List<string> _groups = [];
    private readonly List<string> _failures = [];

    public MulticastChannel(IPAddress groupV4, IPAddress groupV6, int port, IReadOnlyList<MulticastInterface> interfaces)
    {
        _groupV4 = new IPEndPoint(groupV4, port);
        _groupV6 = new IPEndPoint(groupV6, port);
        _v4 = Open(AddressFamily.InterNetwork, port);
        _v6 = Open(AddressFamily.InterNetworkV6, port);
        foreach (var candidate in interfaces)
        {
            if (_v4 is not null && candidate.V4 is not null && Join(() => _v4.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(groupV4, candidate.Index)), candidate, groupV4))
            {
                _v4Interfaces.Add(candidate);
            }

            if (_v6 is not null && candidate.HasV6 && Join(() => _v6.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.AddMembership, new IPv6MulticastOption(groupV6, candidate.Index)), candidate, groupV6))
            {
                _v6Interfaces.Add(candidate);
            }
        }
    }

    /// <summary>Groups joined, as <c>GROUP:PORT on INTERFACE</c>.</summary>
    public IReadOnlyList<string> Groups
    {
        get
        {
            lock (_groups)
            {
                return [.. _groups];
            }
        }
    }

    /// <summary>Why a socket or group could not be opened or joined.</summary>
    public IReadOnlyList<string> Failures
    {
        get
        {
            lock (_groups)
            {
                return [.. _failures];
            }
        }
    }

    public bool IsActive => _v4Interfaces.Count + _v6Interfaces.Count > 0;

    public long SendFailures { get; private set; }

    /// <summary>The interfaces with multicast that are up (or, like loopback, of unknown state), limited to the one holding <paramref name="bind"/> when it is a specific address.</summary>
    public static IReadOnlyList<MulticastInterface> Interfaces(IPAddress bind)
    {
        var found = new List<MulticastInterface>();
        NetworkInterface[] all;
        try
        {
            all = NetworkInterface.GetAllNetworkInterfaces();
        }
        catch (NetworkInformationException)
        {
            return found;
        }

        foreach (var nic in all)
        {
            if (nic.OperationalStatus is not (OperationalStatus.Up or OperationalStatus.Unknown) || !nic.SupportsMulticast)
            {
                continue;
            }

            IPInterfaceProperties properties;
            try
            {
                properties = nic.GetIPProperties();
            }
            catch (NetworkInformationException)
            {
                continue;
            }

            var index = IndexOf(properties);

            if (index < 0)
            {
                continue;
            }

            var addresses = properties.UnicastAddresses.Select(unicast => unicast.Address).ToList();
            if (!bind.Equals(IPAddress.Any) && !bind.Equals(IPAddress.IPv6Any) && !addresses.Contains(bind))
            {
                continue;
            }

            var v4 = addresses.FirstOrDefault(address => address.AddressFamily == AddressFamily.InterNetwork);
            var v6 = addresses.Any(address => address.AddressFamily == AddressFamily.InterNetworkV6);
            if (v4 is not null || v6)
            {
                found.Add(new MulticastInterface(nic.Name, index, v4, v6));
            }
        }

        return found;
    }

    // The interface's index, from its IPv4 or else its IPv6 properties (either may be missing or throw), or -1.
    private static int IndexOf(IPInterfaceProperties properties)
    {
        foreach (var read in new Func<int?>[] { () => properties.GetIPv4Properties()?.Index, () => properties.GetIPv6Properties()?.Index })
        {
            try
            {
                if (read() is { } index)
                {
                    return index;
                }
            }
            catch (Exception ex) when (ex is NetworkInformationException or PlatformNotSupportedException)
            {
                // Not this family.
            }
        }

        return -1;
    }

    /// <summary>Sends <paramref name="ipv4"/> to the IPv4 group and <paramref name="ipv6"/> to the IPv6 group on every joined interface; returns how many sends went out.</summary>
    public int Send(IReadOnlyList<byte[]> ipv4, IReadOnlyList<byte[]> ipv6)
    {
        var sent = 0;
        lock (_sendLock)
        {
            foreach (var nic in _v4Interfaces)
            {
                sent += SendOn(_v4!, () => _v4!.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, BitConverter.ToInt32(nic.V4!.GetAddressBytes(), 0)), ipv4, _groupV4);
            }

            foreach (var nic in _v6Interfaces)
            {
                sent += SendOn(_v6!, () => _v6!.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastInterface, nic.Index), ipv6, _groupV6);
            }
        }

        return sent;
    }

    /// <summary>Receives until <paramref name="cancellationToken"/>, on both families, calling <paramref name="onDatagram"/> with a copy of each datagram.</summary>
    public Task RunAsync(Action<byte[], IPEndPoint> onDatagram, CancellationToken cancellationToken) =>
        Task.WhenAll(
            _v4 is not null && _v4Interfaces.Count > 0 ? ReceiveAsync(_v4, new IPEndPoint(IPAddress.Any, 0), onDatagram, cancellationToken) : Task.CompletedTask,
            _v6 is not null && _v6Interfaces.Count > 0 ? ReceiveAsync(_v6, new IPEndPoint(IPAddress.IPv6Any, 0), onDatagram, cancellationToken) : Task.CompletedTask);

    public void Dispose()
    {
        _v4?.Dispose();
        _v6?.Dispose();
    }

    private static async Task ReceiveAsync(Socket socket, IPEndPoint any, Action<byte[], IPEndPoint> onDatagram, CancellationToken cancellationToken)
    {
        var buffer = new byte[ReceiveBuffer];
        while (!cancellationToken.IsCancellationRequested)
        {
            SocketReceiveFromResult result;
            try
            {
                result = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                // A datagram too big for the buffer, or an ICMP error: go on with the next one.
                continue;
            }

            try
            {
                onDatagram(buffer.AsSpan(0, result.ReceivedBytes).ToArray(), (IPEndPoint)result.RemoteEndPoint);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // A handler's failure (a session closing as a peer arrives) must never end the receive loop.
            }
        }
    }

    private Socket? Open(AddressFamily family, int port)
    {
        var socket = new Socket(family, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            if (family == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = false;
                socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastTimeToLive, 1);
                socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastLoopback, true);
                socket.Bind(new IPEndPoint(IPAddress.IPv6Any, port));
            }
            else
            {
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, 1);
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastLoopback, true);
                socket.Bind(new IPEndPoint(IPAddress.Any, port));
            }

            return socket;
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            lock (_groups)
            {
                _failures.Add($"{(family == AddressFamily.InterNetwork ? "IPv4" : "IPv6")} UDP port {port}: {ex.Message}");
            }

            return null;
        }
    }

    private bool Join(Action join, MulticastInterface nic, IPAddress group)
    {
        try
        {
            join();
            lock (_groups)
            {
                _groups.Add(group.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{group}]:{_groupV6.Port} on {nic.Name}" : $"{group}:{_groupV4.Port} on {nic.Name}");
            }

            return true;
        }
        catch (SocketException ex)
        {
            lock (_groups)
            {
                _failures.Add($"join {group} on {nic.Name}: {ex.Message}");
            }

            return false;
        }
    }

    private int SendOn(Socket socket, Action chooseInterface, IReadOnlyList<byte[]> datagrams, IPEndPoint group)
    {
        var sent = 0;
        try
        {
            chooseInterface();
            foreach (var datagram in datagrams)
            {
                socket.SendTo(datagram, group);
                sent++;
            }
        }
        catch (SocketException)
        {
            // An interface gone down, or no route: the next round tries again.
            SendFailures++;
        }

        return sent;
    }
}
