using System.Net;
using System.Net.Sockets;

namespace SmartShare.Networking;

/// <summary>
/// A UDP socket with a receive loop that nothing but cancellation or closing the socket stops: datagrams over the
/// rate limit are dropped before any parsing, and a handler that throws is counted, never allowed to end the loop.
/// One receive buffer, reused; handlers must copy what they keep.
/// </summary>
public sealed class UdpDatagramSocket : IDatagramTransport, IDisposable
{
    // The largest UDP payload over IPv4; a receive buffer of this size never truncates.
    private const int MaxDatagram = 65_507;

    private readonly Socket _socket;
    private readonly SourceRateLimiter? _limiter;

    private UdpDatagramSocket(Socket socket, SourceRateLimiter? limiter)
    {
        _socket = socket;
        _limiter = limiter;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
    }

    /// <summary>The address and port bound (the real port when 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint { get; }

    public long Received { get; private set; }

    public long RateLimited { get; private set; }

    public long HandlerFailures { get; private set; }

    /// <param name="bufferSize">SO_RCVBUF and SO_SNDBUF when set (the kernel caps them); a uTP port wants room for bursts.</param>
    public static UdpDatagramSocket Bind(IPEndPoint local, SourceRateLimiter? limiter = null, int? bufferSize = null)
    {
        ArgumentNullException.ThrowIfNull(local);
        var socket = new Socket(local.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (bufferSize is { } size)
            {
                socket.ReceiveBufferSize = size;
                socket.SendBufferSize = size;
            }

            // IPv6 only: an IPv4 socket of the same port number is a separate socket (Linux would otherwise make an
            // IPv6 socket dual-stack and collide with it).
            if (local.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = false;
            }

            socket.Bind(local);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new UdpDatagramSocket(socket, limiter);
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint destination, CancellationToken cancellationToken)
    {
        try
        {
            await _socket.SendToAsync(datagram, SocketFlags.None, destination, cancellationToken);
        }
        catch (SocketException)
        {
            // UDP gives no delivery promise; an unreachable peer is seen as a request that times out.
        }
    }

    /// <summary>
    /// Sends one datagram at once, without a task: for uTP, which sends from under a connection's lock. A failure is
    /// a lost datagram, as UDP promises nothing.
    /// </summary>
    public void Send(ReadOnlySpan<byte> datagram, IPEndPoint destination)
    {
        try
        {
            _socket.SendTo(datagram, SocketFlags.None, destination);
        }
        catch (SocketException)
        {
            // Unreachable, or the send buffer full: the packet is lost, and uTP sends it again.
        }
        catch (ObjectDisposedException)
        {
            // Closed while a connection was still sending.
        }
    }

    /// <summary>Receives until cancelled, handing each accepted datagram to <paramref name="handle"/> in turn.</summary>
    public Task RunAsync(Func<ReadOnlyMemory<byte>, IPEndPoint, CancellationToken, ValueTask> handle, CancellationToken cancellationToken) =>
        RunAsync(handle, burstEnded: null, cancellationToken);

    /// <summary>
    /// Receives until cancelled, handing each accepted datagram to <paramref name="handle"/> in turn, and calling
    /// <paramref name="burstEnded"/> whenever no further datagram is waiting (uTP sends its deferred ACKs then).
    /// </summary>
    public async Task RunAsync(
        Func<ReadOnlyMemory<byte>, IPEndPoint, CancellationToken, ValueTask> handle, Action? burstEnded, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handle);
        var buffer = GC.AllocateUninitializedArray<byte>(MaxDatagram, pinned: true);
        EndPoint any = new IPEndPoint(_socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!cancellationToken.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (ObjectDisposedException)
            {
                // Closed by its owner, possibly before the token was cancelled (a port closed as soon as it was bound,
                // when a start moves to another port): nothing more can arrive.
                break;
            }
            catch (SocketException)
            {
                // Linux reports an ICMP "port unreachable" for an earlier send as a receive error; go on.
                continue;
            }

            Received++;
            var source = (IPEndPoint)received.RemoteEndPoint;
            if (_limiter is not null && !_limiter.TryAccept(source.Address))
            {
                RateLimited++;
                continue;
            }

            try
            {
                await handle(buffer.AsMemory(0, received.ReceivedBytes), source, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
#pragma warning disable CA1031 // Hostile input must never end the receive loop; the failure is counted.
            catch (Exception)
#pragma warning restore CA1031
            {
                HandlerFailures++;
            }

            if (burstEnded is not null && NothingWaiting())
            {
                burstEnded();
            }
        }
    }

    public void Dispose() => _socket.Dispose();

    private bool NothingWaiting()
    {
        try
        {
            return _socket.Available == 0;
        }
        catch (ObjectDisposedException)
        {
            return true;
        }
    }
}
