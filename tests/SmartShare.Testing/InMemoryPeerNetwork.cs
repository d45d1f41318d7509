using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using SmartShare.BitTorrent.PeerWire.Transport;
using SmartShare.IO;

namespace SmartShare.Testing;

/// <summary>
/// An in-process network for BitTorrent peers: each <see cref="Host"/> is a machine with an address, whose
/// transport listens on ports of that address and connects to the listeners of any host. A connection is a pair of
/// pipes (System.IO.Pipelines), so bytes arrive in order, at once, and no socket or real time is involved; closing
/// one end is seen by the other as the end of the stream, and its writes then fail. Nothing answers at an address
/// nobody listens on: connecting there is refused.
/// </summary>
public sealed class InMemoryPeerNetwork
{
    private const int FirstPort = 40000;

    private readonly Lock _gate = new();
    private readonly Dictionary<IPEndPoint, Listener> _listeners = [];
    private int _nextPort = FirstPort;
    private int _connections;

    /// <summary>Connections made so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>The transport of a machine at <paramref name="address"/>.</summary>
    public IPeerTransport Host(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return new HostTransport(this, address);
    }

    /// <summary>A machine with the address 10.0.0.<paramref name="n"/>.</summary>
    public IPeerTransport Host(int n) => Host(new IPAddress([10, 0, 0, (byte)n]));

    private IPEndPoint Bind(IPAddress host, int port, Listener? listener)
    {
        lock (_gate)
        {
            if (port == 0)
            {
                while (_listeners.ContainsKey(new IPEndPoint(host, _nextPort)))
                {
                    _nextPort++;
                }

                port = _nextPort++;
            }

            var endPoint = new IPEndPoint(host, port);
            if (listener is not null && !_listeners.TryAdd(endPoint, listener))
            {
                throw new SocketException((int)SocketError.AddressAlreadyInUse);
            }

            return endPoint;
        }
    }

    private void Unbind(IPEndPoint endPoint, Listener listener)
    {
        lock (_gate)
        {
            if (_listeners.TryGetValue(endPoint, out var bound) && bound == listener)
            {
                _listeners.Remove(endPoint);
            }
        }
    }

    private async ValueTask<IPeerLink> ConnectAsync(IPAddress from, IPEndPoint remote, CancellationToken cancellationToken)
    {
        await Task.Yield();
        cancellationToken.ThrowIfCancellationRequested();
        Listener? listener;
        lock (_gate)
        {
            _listeners.TryGetValue(remote, out listener);
        }

        if (listener is null)
        {
            throw new SocketException((int)SocketError.ConnectionRefused);
        }

        var local = Bind(from, 0, null);
        var toServer = new Pipe(PipeOptions);
        var toClient = new Pipe(PipeOptions);
        var client = new Link(new PipeStream(toClient.Reader, toServer.Writer), remote, local);
        var server = new Link(new PipeStream(toServer.Reader, toClient.Writer), local, remote);
        if (!listener.Offer(server))
        {
            await client.DisposeAsync();
            await server.DisposeAsync();
            throw new SocketException((int)SocketError.ConnectionRefused);
        }

        Interlocked.Increment(ref _connections);
        return client;
    }

    private static readonly PipeOptions PipeOptions = new(
        pauseWriterThreshold: 1024 * 1024, resumeWriterThreshold: 512 * 1024, useSynchronizationContext: false);

    private sealed class HostTransport(InMemoryPeerNetwork network, IPAddress address) : IPeerTransport
    {
        public ValueTask<IPeerLink> ConnectAsync(IPEndPoint remote, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(remote);
            return network.ConnectAsync(address, remote, cancellationToken);
        }

        public IPeerListener Listen(IPEndPoint local)
        {
            ArgumentNullException.ThrowIfNull(local);
            if (!local.Address.Equals(IPAddress.Any) && !local.Address.Equals(IPAddress.IPv6Any) && !local.Address.Equals(address))
            {
                throw new SocketException((int)SocketError.AddressNotAvailable);
            }

            var listener = new Listener(network);
            listener.LocalEndPoint = network.Bind(address, local.Port, listener);
            return listener;
        }
    }

    private sealed class Listener(InMemoryPeerNetwork network) : IPeerListener
    {
        private readonly Channel<Link> _pending = Channel.CreateUnbounded<Link>();

        public IPEndPoint LocalEndPoint { get; set; } = new(IPAddress.Any, 0);

        public bool Offer(Link link) => _pending.Writer.TryWrite(link);

        public async ValueTask<IPeerLink> AcceptAsync(CancellationToken cancellationToken)
        {
            try
            {
                return await _pending.Reader.ReadAsync(cancellationToken);
            }
            catch (ChannelClosedException e)
            {
                throw new ObjectDisposedException("The listener is closed.", e);
            }
        }

        public async ValueTask DisposeAsync()
        {
            network.Unbind(LocalEndPoint, this);
            _pending.Writer.TryComplete();
            while (_pending.Reader.TryRead(out var link))
            {
                await link.DisposeAsync();
            }
        }
    }

    private sealed class Link(PipeStream stream, IPEndPoint remote, IPEndPoint local) : IPeerLink
    {
        public Stream Stream => stream;

        public IPEndPoint RemoteEndPoint { get; } = remote;

        public IPEndPoint LocalEndPoint { get; } = local;

        public string Transport => "memory";

        public ValueTask DisposeAsync() => stream.DisposeAsync();
    }

    /// <summary>
    /// One end of a connection: reads the pipe the other end writes, and writes the one it reads. Disposing
    /// completes both, so the other end reads the end of the stream and its writes fail; a read or write of this end
    /// still running then ends too.
    /// </summary>
    private sealed class PipeStream(PipeReader input, PipeWriter output) : DuplexStream
    {
        private readonly Lock _gate = new();
        private bool _disposed;
        private bool _reading;
        private bool _writing;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Begin(ref _reading);
            try
            {
                var result = await input.ReadAsync(cancellationToken);
                var data = result.Buffer;
                if (result.IsCanceled)
                {
                    input.AdvanceTo(data.Start);
                    throw new IOException("The connection was closed by this end.");
                }

                var length = (int)Math.Min(data.Length, buffer.Length);
                data.Slice(0, length).CopyTo(buffer.Span);
                input.AdvanceTo(data.GetPosition(length));
                return length; // 0 once the other end closed and everything is read
            }
            finally
            {
                End(ref _reading, () => input.Complete());
            }
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Begin(ref _writing);
            try
            {
                var result = await output.WriteAsync(buffer, cancellationToken);
                if (result.IsCanceled)
                {
                    throw new IOException("The connection was closed by this end.");
                }

                if (result.IsCompleted)
                {
                    throw new IOException("The connection was reset by the other end.");
                }
            }
            finally
            {
                End(ref _writing, () => output.Complete());
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();


        protected override void Dispose(bool disposing)
        {
            bool completeInput, completeOutput;
            lock (_gate)
            {
                if (_disposed)
                {
                    return;
                }

                _disposed = true;
                completeInput = !_reading;
                completeOutput = !_writing;
            }

            // A read or write still running is woken and completes its pipe when it returns.
            input.CancelPendingRead();
            output.CancelPendingFlush();
            if (completeInput)
            {
                input.Complete();
            }

            if (completeOutput)
            {
                output.Complete();
            }

            base.Dispose(disposing);
        }

        private void Begin(ref bool busy)
        {
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                busy = true;
            }
        }

        private void End(ref bool busy, Action complete)
        {
            lock (_gate)
            {
                busy = false;
                if (!_disposed)
                {
                    return;
                }
            }

            complete();
        }
    }
}
