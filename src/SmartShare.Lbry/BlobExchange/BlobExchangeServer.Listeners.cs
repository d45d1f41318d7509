using System.Net;
using System.Net.Sockets;

namespace SmartShare.Lbry.BlobExchange;

/// <summary>The server's listening sockets: the first from <see cref="Start"/>, more (the IPv6 side) from <see cref="ListenAlso"/>.</summary>
public sealed partial class BlobExchangeServer
{
    /// <summary>
    /// Accepts on a second address too, after <see cref="Start"/> (the node's IPv6 side, same port number).
    /// Throws <see cref="SocketException"/> when the address is taken or its family is not available.
    /// </summary>
    public IPEndPoint ListenAlso(IPEndPoint bind)
    {
        ArgumentNullException.ThrowIfNull(bind);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_listener is null)
        {
            throw new InvalidOperationException("Start the blob-exchange server before adding an address.");
        }

        var listener = Bind(bind);
        lock (_extraListeners)
        {
            _extraListeners.Add((listener, AcceptLoopAsync(listener, _shutdown.Token)));
        }

        return (IPEndPoint)listener.LocalEndPoint!;
    }

    /// <summary>Every bound address: <see cref="LocalEndPoint"/> first, then those of <see cref="ListenAlso"/>.</summary>
    public IReadOnlyList<IPEndPoint> LocalEndPoints
    {
        get
        {
            lock (_extraListeners)
            {
                return [LocalEndPoint, .. _extraListeners.Select(extra => (IPEndPoint)extra.Listener.LocalEndPoint!)];
            }
        }
    }

    private Socket Bind(IPEndPoint bind)
    {
        var listener = new Socket(bind.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // IPv6 only: the IPv4 side has its own listener on the same port number.
            if (bind.AddressFamily == AddressFamily.InterNetworkV6)
            {
                listener.DualMode = false;
            }

            listener.Bind(bind);
            listener.Listen(_options.ListenBacklog);
            return listener;
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }
}
