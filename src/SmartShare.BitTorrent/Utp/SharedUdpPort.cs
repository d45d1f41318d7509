using System.Net;
using SmartShare.Networking;

namespace SmartShare.BitTorrent.Utp;

/// <summary>
/// The BitTorrent UDP port, shared as libtorrent shares it: one socket whose datagrams go to uTP when they look like
/// uTP packets (<see cref="UtpCodec.LooksLikeUtp"/>) and to whoever runs <see cref="Others"/> (the Mainline DHT)
/// otherwise. Owns the socket and its receive loop; <see cref="Utp"/> sends through the same socket.
/// </summary>
public sealed class SharedUdpPort : IAsyncDisposable, IUtpDatagramSender
{
    // Room for bursts of full-size uTP packets between two turns of the receive loop (the kernel may cap it lower).
    private const int SocketBufferSize = 4 << 20;

    private readonly UdpDatagramSocket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly OtherSide _others;

    private SharedUdpPort(UdpDatagramSocket socket, IRandomSource random, UtpOptions? options, TimeProvider? time)
    {
        _socket = socket;
        _others = new OtherSide(socket);
        Utp = new UtpSocket(this, socket.LocalEndPoint, random, options, time);
        _loop = Task.Run(() => socket.RunAsync(HandleAsync, Utp.ReceiveBurstEnded, _stop.Token));
    }

    public IPEndPoint LocalEndPoint => _socket.LocalEndPoint;

    /// <summary>uTP on this port.</summary>
    public UtpSocket Utp { get; }

    /// <summary>Every datagram that is not uTP, and sends from the same port: the Mainline DHT's transport.</summary>
    public IDatagramTransport Others => _others;

    /// <summary>Datagrams received in all.</summary>
    public long Received => _socket.Received;

    /// <summary>Binds <paramref name="local"/> and starts receiving.</summary>
    /// <exception cref="System.Net.Sockets.SocketException">The port is taken.</exception>
    public static SharedUdpPort Bind(IPEndPoint local, IRandomSource random, UtpOptions? options = null, TimeProvider? time = null) =>
        new(UdpDatagramSocket.Bind(local, bufferSize: SocketBufferSize), random, options, time);

    void IUtpDatagramSender.Send(ReadOnlySpan<byte> datagram, IPEndPoint destination) => _socket.Send(datagram, destination);

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await Utp.DisposeAsync().ConfigureAwait(false);
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private ValueTask HandleAsync(ReadOnlyMemory<byte> datagram, IPEndPoint source, CancellationToken cancellationToken)
    {
        if (UtpCodec.LooksLikeUtp(datagram.Span))
        {
            Utp.Receive(datagram.Span, source);
            return ValueTask.CompletedTask;
        }

        return _others.HandleAsync(datagram, source, cancellationToken);
    }

    /// <summary>The non-uTP side: its handler is the one <see cref="RunAsync"/> was last given, while it runs.</summary>
    private sealed class OtherSide(UdpDatagramSocket socket) : IDatagramTransport
    {
        private Func<ReadOnlyMemory<byte>, IPEndPoint, CancellationToken, ValueTask>? _handler;

        public IPEndPoint LocalEndPoint => socket.LocalEndPoint;

        public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint destination, CancellationToken cancellationToken) =>
            socket.SendAsync(datagram, destination, cancellationToken);

        public async Task RunAsync(Func<ReadOnlyMemory<byte>, IPEndPoint, CancellationToken, ValueTask> handle, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(handle);
            _handler = handle;
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped, as the socket's own loop stops.
            }
            finally
            {
                _handler = null;
            }
        }

        public ValueTask HandleAsync(ReadOnlyMemory<byte> datagram, IPEndPoint source, CancellationToken cancellationToken) =>
            _handler is { } handler ? handler(datagram, source, cancellationToken) : ValueTask.CompletedTask;
    }
}
