using System.Net;

namespace SmartShare.BitTorrent.PeerWire.Transport;

/// <summary>
/// How peers are reached and how they reach us: TCP sockets by default (<see cref="TcpPeerTransport"/>), an in-memory
/// network in tests. A <see cref="PeerConnection"/> runs the BitTorrent and MSE handshakes and the messages over the
/// byte stream a transport hands it; the transport knows nothing of BitTorrent.
/// </summary>
public interface IPeerTransport
{
    /// <summary>Opens a connection to <paramref name="remote"/>.</summary>
    /// <exception cref="System.Net.Sockets.SocketException">Nobody accepts there (refused, unreachable).</exception>
    /// <exception cref="IOException">The connection failed otherwise.</exception>
    /// <exception cref="OperationCanceledException">Cancelled (the caller's connect timeout included).</exception>
    ValueTask<IPeerLink> ConnectAsync(IPEndPoint remote, CancellationToken cancellationToken);

    /// <summary>Starts accepting connections on <paramref name="local"/> (port 0 picks a free one).</summary>
    /// <exception cref="System.Net.Sockets.SocketException">The address is taken.</exception>
    IPeerListener Listen(IPEndPoint local);
}

/// <summary>One connection a transport made: a duplex byte stream and its two ends.</summary>
public interface IPeerLink : IAsyncDisposable
{
    /// <summary>Bytes both ways; disposing the link, not the stream, closes the connection.</summary>
    Stream Stream { get; }

    IPEndPoint RemoteEndPoint { get; }

    IPEndPoint LocalEndPoint { get; }

    /// <summary>What carries it, as peer lists show it: "tcp", "utp", or a test network's own name.</summary>
    string Transport { get; }
}

/// <summary>Connections arriving at one bound address of a transport.</summary>
public interface IPeerListener : IAsyncDisposable
{
    /// <summary>The bound address (with the port picked when 0 was asked for).</summary>
    IPEndPoint LocalEndPoint { get; }

    /// <summary>Waits for the next connection.</summary>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The listener was disposed.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">One incoming connection failed; the listener goes on.</exception>
    ValueTask<IPeerLink> AcceptAsync(CancellationToken cancellationToken);
}
