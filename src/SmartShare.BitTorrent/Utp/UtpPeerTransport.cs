using System.Net;
using System.Threading.Channels;
using SmartShare.BitTorrent.PeerWire.Transport;

namespace SmartShare.BitTorrent.Utp;

/// <summary>
/// Peers over uTP (BEP 29) on a <see cref="UtpSocket"/>: the peer wire, MSE included, runs over a uTP connection's
/// stream exactly as over a TCP socket's. The socket is bound already (it shares the UDP port), so
/// <see cref="Listen"/> only starts accepting on it.
/// </summary>
public sealed class UtpPeerTransport(UtpSocket socket) : IPeerTransport
{
    public UtpSocket Socket { get; } = socket ?? throw new ArgumentNullException(nameof(socket));

    public async ValueTask<IPeerLink> ConnectAsync(IPEndPoint remote, CancellationToken cancellationToken)
    {
        var connection = await Socket.ConnectAsync(remote, cancellationToken).ConfigureAwait(false);
        return new Link(connection, Socket.LocalEndPoint);
    }

    /// <summary>Accepts on the socket; <paramref name="local"/> must name its port (or 0).</summary>
    /// <exception cref="ArgumentException"><paramref name="local"/> names another port.</exception>
    public IPeerListener Listen(IPEndPoint local)
    {
        ArgumentNullException.ThrowIfNull(local);
        if (local.Port != 0 && local.Port != Socket.LocalEndPoint.Port)
        {
            throw new ArgumentException($"The uTP socket is bound to port {Socket.LocalEndPoint.Port}, not {local.Port}.", nameof(local));
        }

        Socket.StartAccepting();
        return new Listener(Socket);
    }

    private sealed class Listener(UtpSocket socket) : IPeerListener
    {
        public IPEndPoint LocalEndPoint => socket.LocalEndPoint;

        public async ValueTask<IPeerLink> AcceptAsync(CancellationToken cancellationToken)
        {
            UtpConnection connection;
            try
            {
                connection = await socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                // The socket was disposed: as IPeerListener says, the listener is gone.
                throw new ObjectDisposedException(nameof(UtpSocket));
            }

            return new Link(connection, socket.LocalEndPoint);
        }

        public ValueTask DisposeAsync()
        {
            socket.StopAccepting();
            return ValueTask.CompletedTask;
        }
    }

    private sealed class Link(UtpConnection connection, IPEndPoint local) : IPeerLink
    {
        public Stream Stream => connection.Stream;

        public IPEndPoint RemoteEndPoint => connection.Remote;

        public IPEndPoint LocalEndPoint { get; } = local;

        public string Transport => "utp";

        public async ValueTask DisposeAsync() => await connection.Stream.DisposeAsync().ConfigureAwait(false);
    }
}
