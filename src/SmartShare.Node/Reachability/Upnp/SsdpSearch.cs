using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Threading.Channels;

namespace SmartShare.Node.Reachability.Upnp;

/// <summary>
/// Sends M-SEARCH for every IGD search target (from each IPv4 interface when the target is the multicast group)
/// and hands each well-formed answer to a callback until it accepts one or the time limit, counted on the
/// injected <see cref="TimeProvider"/>, runs out. Malformed answers are counted and dropped.
/// </summary>
internal static class SsdpSearch
{
    private const int MxSeconds = 2;

    /// <summary>Calls <paramref name="accept"/> with each answer and its sender; true when one was accepted in time.</summary>
    public static async Task<bool> RunAsync(
        IPEndPoint target,
        TimeProvider time,
        TimeSpan timeout,
        Func<SsdpResponse, IPAddress, CancellationToken, Task<bool>> accept,
        Action<IPAddress, string> refused,
        CancellationToken cancellationToken)
    {
        var sockets = Open(target);
        if (sockets.Count == 0)
        {
            return false;
        }

        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var answers = Channel.CreateBounded<(SsdpResponse, IPAddress)>(new BoundedChannelOptions(16) { FullMode = BoundedChannelFullMode.DropWrite });
        var loops = new List<Task>();
        try
        {
            var sent = 0;
            foreach (var socket in sockets)
            {
                try
                {
                    await SendSearchesAsync(socket, target, linked.Token);
                    sent++;
                }
                catch (SocketException)
                {
                    // This interface cannot send to the group (no multicast route, say); the others still search.
                    continue;
                }

                loops.Add(ReceiveAsync(socket, answers.Writer, refused, linked.Token));
            }

            if (sent == 0)
            {
                return false;
            }

            // One more round after a third of the limit, in case the first datagrams were lost.
            var resend = ResendAsync(sockets, target, time, timeout / 3, linked.Token);
            loops.Add(resend);
            while (true)
            {
                (SsdpResponse Response, IPAddress Responder) answer;
                try
                {
                    answer = await answers.Reader.ReadAsync(linked.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    return false;
                }

                if (await accept(answer.Response, answer.Responder, cancellationToken))
                {
                    return true;
                }
            }
        }
        finally
        {
            await linked.CancelAsync();
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }

            await Task.WhenAll(loops).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private static List<Socket> Open(IPEndPoint target)
    {
        var sockets = new List<Socket>();
        if (target.AddressFamily != AddressFamily.InterNetwork || target.Address.GetAddressBytes()[0] is < 224 or > 239)
        {
            sockets.Add(new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp));
            return sockets;
        }

        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            if (nic.OperationalStatus != OperationalStatus.Up || nic.NetworkInterfaceType == NetworkInterfaceType.Loopback || !nic.SupportsMulticast)
            {
                continue;
            }

            var properties = nic.GetIPProperties();
            var index = properties.GetIPv4Properties()?.Index;
            foreach (var unicast in properties.UnicastAddresses)
            {
                if (unicast.Address.AddressFamily != AddressFamily.InterNetwork || index is null || sockets.Count >= 16)
                {
                    continue;
                }

                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                try
                {
                    socket.Bind(new IPEndPoint(unicast.Address, 0));
                    socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, IPAddress.HostToNetworkOrder(index.Value));
                    socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, 2);
                    sockets.Add(socket);
                }
                catch (SocketException)
                {
                    socket.Dispose();
                }
            }
        }

        return sockets;
    }

    private static async Task SendSearchesAsync(Socket socket, IPEndPoint target, CancellationToken cancellationToken)
    {
        foreach (var searchTarget in SsdpCodec.SearchTargets)
        {
            await socket.SendToAsync(SsdpCodec.BuildSearch(searchTarget, MxSeconds, target), SocketFlags.None, target, cancellationToken);
        }
    }

    private static async Task ResendAsync(List<Socket> sockets, IPEndPoint target, TimeProvider time, TimeSpan after, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(after, time, cancellationToken);
            foreach (var socket in sockets)
            {
                try
                {
                    await SendSearchesAsync(socket, target, cancellationToken);
                }
                catch (SocketException)
                {
                    // As in the first round: one interface that cannot send does not stop the others.
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private static async Task ReceiveAsync(Socket socket, ChannelWriter<(SsdpResponse, IPAddress)> answers, Action<IPAddress, string> refused, CancellationToken cancellationToken)
    {
        var buffer = new byte[SsdpCodec.MaxResponseBytes + 1];
        EndPoint any = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!cancellationToken.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, cancellationToken);
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset or SocketError.MessageSize)
            {
                continue;
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var sender = ((IPEndPoint)received.RemoteEndPoint).Address;
            try
            {
                answers.TryWrite((SsdpCodec.Parse(buffer.AsSpan(0, received.ReceivedBytes)), sender));
            }
            catch (UpnpFormatException ex)
            {
                refused(sender, ex.Message);
            }
        }
    }
}
