using System.Net;
using System.Net.Sockets;

namespace SmartShare.BitTorrent.PeerWire.Transport;

/// <summary>Peers over TCP: Nagle off and the kernel buffers of <see cref="PeerConnectionOptions.SocketBufferSize"/>.</summary>
/// <param name="socketBufferSize">SO_SNDBUF and SO_RCVBUF of every socket.</param>
public sealed class TcpPeerTransport(int socketBufferSize) : IPeerTransport
{
    /// <summary>TCP with the default socket buffers (1 MiB).</summary>
    public static TcpPeerTransport Default { get; } = new(PeerConnectionOptions.Default.SocketBufferSize);

    /// <summary>TCP with the socket buffers <paramref name="options"/> asks for.</summary>
    public static TcpPeerTransport For(PeerConnectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.SocketBufferSize == Default.SocketBufferSize ? Default : new TcpPeerTransport(options.SocketBufferSize);
    }

    public int SocketBufferSize { get; } = socketBufferSize;

    public async ValueTask<IPeerLink> ConnectAsync(IPEndPoint remote, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(remote);
        var socket = new Socket(remote.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            Configure(socket);
            await socket.ConnectAsync(remote, cancellationToken).ConfigureAwait(false);
            return new TcpPeerLink(socket, remote);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public IPeerListener Listen(IPEndPoint local)
    {
        ArgumentNullException.ThrowIfNull(local);
        var socket = new Socket(local.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // An IPv6 listener takes IPv6 only: the IPv4 side has its own listener on the same port number, which a
            // dual-stack socket would collide with.
            if (local.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = false;
            }

            socket.Bind(local);
            socket.Listen(128);
            return new Listener(this, socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Wraps a socket accepted elsewhere (configured like one of ours).</summary>
    /// <exception cref="SocketException">The socket is already disconnected.</exception>
    public IPeerLink Adopt(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        Configure(socket);
        return new TcpPeerLink(socket, (IPEndPoint)socket.RemoteEndPoint!);
    }

    private void Configure(Socket socket)
    {
        socket.NoDelay = true;
        socket.ReceiveBufferSize = SocketBufferSize;
        socket.SendBufferSize = SocketBufferSize;
    }

    private sealed class Listener(TcpPeerTransport transport, Socket socket) : IPeerListener
    {
        public IPEndPoint LocalEndPoint { get; } = (IPEndPoint)socket.LocalEndPoint!;

        public async ValueTask<IPeerLink> AcceptAsync(CancellationToken cancellationToken)
        {
            var accepted = await socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return transport.Adopt(accepted);
            }
            catch
            {
                accepted.Dispose();
                throw;
            }
        }

        public ValueTask DisposeAsync()
        {
            socket.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private sealed class TcpPeerLink(Socket socket, IPEndPoint remote) : IPeerLink
    {
        public Stream Stream { get; } = new NetworkStream(socket, ownsSocket: false);

        public IPEndPoint RemoteEndPoint { get; } = remote;

        public IPEndPoint LocalEndPoint { get; } = (IPEndPoint)socket.LocalEndPoint!;

        public string Transport => "tcp";

        public async ValueTask DisposeAsync()
        {
            try
            {
                socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // Already reset by the peer, or closed.
            }

            socket.Dispose();
            await Stream.DisposeAsync().ConfigureAwait(false);
        }
    }
}
