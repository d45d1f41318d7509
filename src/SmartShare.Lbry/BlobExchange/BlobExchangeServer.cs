using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using SmartShare.Lbry.Blobs;
using SmartShare.Networking;

namespace SmartShare.Lbry.BlobExchange;

/// <summary>
/// Serves blobs from a <see cref="BlobStore"/> to lbry-sdk compatible clients over TCP: one JSON request, one JSON
/// answer followed by the blob streamed from disk with sendfile (or in paced slices under an upload limit),
/// repeated on a kept-alive connection.
/// </summary>
public sealed partial class BlobExchangeServer : IAsyncDisposable
{
    private const int PacedSlice = 64 * 1024;

    private readonly BlobStore _store;
    private readonly BlobExchangeServerOptions _options;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly ConcurrentDictionary<long, Task> _connections = new();
    private readonly ConnectionSlots _slots;
    private readonly List<(Socket Listener, Task Loop)> _extraListeners = [];
    private readonly ServedBlobChecks _checks;
    private Socket? _listener;
    private Task? _acceptLoop;
    private long _nextConnectionId;
    private long _accepted;
    private long _refused;
    private long _blobsServed;
    private long _bytesServed;
    private long _missing;
    private int _disposed;

    public BlobExchangeServer(BlobStore store, BlobExchangeServerOptions? options = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _options = options ?? new BlobExchangeServerOptions();
        _time = timeProvider ?? TimeProvider.System;
        _slots = new ConnectionSlots(_options.MaxConnections, _options.MaxConnectionsPerAddress, _time);
        _checks = new ServedBlobChecks(store, _time, message => Diagnostic?.Invoke(message));
    }

    /// <summary>Called after each blob sent in full, with its hash and length (the node counts uploads per stream with it).</summary>
    public Action<BlobHash, long>? BlobSent { get; init; }

    /// <summary>Called with a sentence for each dropped connection or failed send; for logs, never for control.</summary>
    public Action<string>? Diagnostic { get; init; }

    /// <summary>The bound address, with the real port when 0 was asked.</summary>
    public IPEndPoint LocalEndPoint =>
        (IPEndPoint)(_listener?.LocalEndPoint ?? throw new InvalidOperationException("The blob-exchange server has not been started."));

    public long ConnectionsAccepted => Interlocked.Read(ref _accepted);

    public long ConnectionsRefused => Interlocked.Read(ref _refused);

    public long BlobsServed => Interlocked.Read(ref _blobsServed);

    public long BytesServed => Interlocked.Read(ref _bytesServed);

    public long RequestsForMissingBlobs => Interlocked.Read(ref _missing);

    /// <summary>Blobs found changed on disk when about to be served: never sent, deleted from the store.</summary>
    public long DamagedBlobsDropped => _checks.DamagedBlobs;

    /// <summary>Blob files read whole and hashed before a serve, because no stamp vouched for them.</summary>
    public long BlobFilesHashedOnServe => _checks.HashedBlobs;

    /// <summary>Connections being served right now.</summary>
    public int ActiveConnections => _slots.Count;

    /// <summary>Idle connections closed to make room for a newcomer (so idle connections from a few hosts cannot lock others out).</summary>
    public long ConnectionsEvicted => _slots.Evictions;

    /// <summary>Binds and starts accepting. Throws <see cref="SocketException"/> when the address is taken.</summary>
    public void Start(IPEndPoint bind)
    {
        ArgumentNullException.ThrowIfNull(bind);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_listener is not null)
        {
            throw new InvalidOperationException("The blob-exchange server is already started.");
        }

        var listener = Bind(bind);
        _listener = listener;
        _acceptLoop = AcceptLoopAsync(listener, _shutdown.Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _shutdown.CancelAsync();
        _listener?.Dispose();
        if (_acceptLoop is not null)
        {
            await _acceptLoop;
        }

        (Socket Listener, Task Loop)[] extras;
        lock (_extraListeners)
        {
            extras = [.. _extraListeners];
        }

        foreach (var (listener, loop) in extras)
        {
            listener.Dispose();
            await loop;
        }

        // Connections end on the cancelled token (their sockets are closed by it); wait so no send outlives us.
        await Task.WhenAll(_connections.Values);
        _shutdown.Dispose();
    }

    private async Task AcceptLoopAsync(Socket listener, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                // Out of descriptors or a connection reset while queued: pause briefly instead of spinning.
                Report($"Accepting a blob-exchange connection failed ({ex.SocketErrorCode}); trying again.");
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(50), _time, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            var remote = client.RemoteEndPoint as IPEndPoint;
            var slot = remote is null ? null : _slots.TryTake(remote.Address, evictable: true);
            if (remote is null || slot is null)
            {
                Interlocked.Increment(ref _refused);
                Report($"Refused a blob-exchange connection from {remote}: too many connections.");
                client.Dispose();
                continue;
            }

            Interlocked.Increment(ref _accepted);
            var id = Interlocked.Increment(ref _nextConnectionId);
            var task = ServeConnectionAsync(client, remote, slot, cancellationToken);
            _connections[id] = task;
            _ = task.ContinueWith(
                (_, state) => ((ConcurrentDictionary<long, Task>)state!).TryRemove(id, out Task? _),
                _connections,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    private async Task ServeConnectionAsync(Socket socket, IPEndPoint remote, ConnectionSlots.Slot slot, CancellationToken shutdown)
    {
        // Yield so a slow first step never holds up the accept loop.
        await Task.Yield();
        var buffer = ArrayPool<byte>.Shared.Rent(_options.MaxRequestSize);
        var header = new ArrayBufferWriter<byte>(512);

        // One timer per connection, re-armed per phase; when it fires, or on shutdown, the socket closes, which
        // ends whatever receive or send is pending.
        using var deadline = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
        using var onShutdown = shutdown.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), deadline);
        using var onEvicted = slot.Evicted.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), deadline);
        using var closeOnDeadline = deadline.Token.UnsafeRegister(static state => ((Socket)state!).Dispose(), socket);
        try
        {
            while (true)
            {
                deadline.CancelAfter(_options.IdleTimeout);
                slot.Evictable = true;
                var request = await ReadRequestAsync(socket, buffer, remote, deadline.Token);
                if (request is null)
                {
                    return;
                }

                slot.Evictable = false;
                deadline.CancelAfter(_options.SendTimeout);
                await AnswerAsync(socket, request, header, deadline);
            }
        }
        catch (OperationCanceledException)
        {
            if (slot.Evicted.IsCancellationRequested)
            {
                Report($"Closed the idle blob-exchange connection from {remote}: its slot went to a newcomer (all {_options.MaxConnections} were taken, or its host held {_options.MaxConnectionsPerAddress}).");
            }
            else if (!shutdown.IsCancellationRequested)
            {
                Report($"Closed the blob-exchange connection from {remote}: it was idle or too slow.");
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            if (!deadline.IsCancellationRequested)
            {
                Report($"The blob-exchange connection from {remote} broke: {ex.Message}");
            }
        }
        finally
        {
            socket.Dispose();
            ArrayPool<byte>.Shared.Return(buffer);
            slot.Dispose();
        }
    }

    /// <summary>lbry-sdk's server rule: buffer until a read holds '}', then parse all of it; null means close.</summary>
    private async Task<BlobRequest?> ReadRequestAsync(Socket socket, byte[] buffer, IPEndPoint remote, CancellationToken cancellationToken)
    {
        var limit = Math.Min(_options.MaxRequestSize, buffer.Length);
        var filled = 0;
        while (true)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(filled, limit - filled), SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                return null;
            }

            var chunk = buffer.AsSpan(filled, read);
            filled += read;
            if (filled >= limit)
            {
                Report($"Closed the blob-exchange connection from {remote}: its request reached {limit} bytes.");
                return null;
            }

            if (chunk.IndexOf((byte)'}') < 0)
            {
                continue;
            }

            try
            {
                return BlobExchangeCodec.DecodeRequest(buffer.AsSpan(0, filled));
            }
            catch (BlobExchangeFormatException ex)
            {
                Report($"Closed the blob-exchange connection from {remote}: {ex.Message}");
                return null;
            }
        }
    }

    private async Task AnswerAsync(Socket socket, BlobRequest request, ArrayBufferWriter<byte> header, CancellationTokenSource deadline)
    {
        var cancellationToken = deadline.Token;
        var sendBlob = request.RequestedBlob is { } wanted && IsInStore(wanted, out var length)
            ? new IncomingBlob(wanted, length)
            : null;
        if (sendBlob is not null && !_checks.IsTrusted(sendBlob.Hash!.Value, sendBlob.Length))
        {
            // Not sent since its file was last checked: checked now, and sent from the checked copy (a damaged one is
            // dropped from the store and may still be rebuilt below).
            using var content = await _checks.ReadCheckedAsync(sendBlob.Hash.Value, cancellationToken);
            if (content is not null)
            {
                await SendFromMemoryAsync(socket, request, new IncomingBlob(sendBlob.Hash.Value, content.Memory.Length), content.Memory, header, deadline);
                return;
            }

            sendBlob = null;
        }

        if (sendBlob is null && request.RequestedBlob is { } rebuilt && _options.FallbackSource is { } fallback &&
            fallback.TryGetLength(rebuilt) is not null)
        {
            // Built (and checked) before the header goes out: a blob that cannot be rebuilt is answered as missing.
            using var content = await fallback.ReadAsync(rebuilt, cancellationToken);
            if (content is not null)
            {
                await SendFromMemoryAsync(socket, request, new IncomingBlob(rebuilt, content.Memory.Length), content.Memory, header, deadline);
                return;
            }
        }

        if (request.RequestedBlob is not null && sendBlob is null)
        {
            Interlocked.Increment(ref _missing);
        }

        WriteHeader(request, sendBlob, header);
        if (sendBlob is not null)
        {
            var limiter = _options.UploadLimiterFor?.Invoke(sendBlob.Hash!.Value) ?? _options.UploadLimiter;
            try
            {
                if (limiter is null || limiter.IsUnlimited)
                {
                    // sendfile: the blob goes from the page cache to the socket without passing through managed memory.
                    await socket.SendFileAsync(
                        _store.PathOf(sendBlob.Hash!.Value),
                        header.WrittenMemory,
                        default,
                        TransmitFileOptions.UseDefaultWorkerThread,
                        cancellationToken);
                }
                else
                {
                    await SendPacedAsync(socket, sendBlob.Hash!.Value, header.WrittenMemory, limiter, deadline);
                }

                Interlocked.Increment(ref _blobsServed);
                Interlocked.Add(ref _bytesServed, sendBlob.Length);
                BlobSent?.Invoke(sendBlob.Hash.Value, sendBlob.Length);
                return;
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                // The file is opened before anything is sent, so the peer has seen nothing yet: answer "missing".
                Interlocked.Increment(ref _missing);
                WriteHeader(request, null, header);
            }
        }

        await SendAllAsync(socket, header.WrittenMemory, cancellationToken);
    }

    private async Task SendFromMemoryAsync(
        Socket socket, BlobRequest request, IncomingBlob blob, ReadOnlyMemory<byte> content, ArrayBufferWriter<byte> header, CancellationTokenSource deadline)
    {
        var cancellationToken = deadline.Token;
        WriteHeader(request, blob, header);
        if ((_options.UploadLimiterFor?.Invoke(blob.Hash!.Value) ?? _options.UploadLimiter) is { IsUnlimited: false } limiter)
        {
            // A rebuilt blob is in memory already: it waits for its bytes at once (the bucket lends what a burst lacks);
            // the send timeout counts sending, not waiting for the limiter.
            deadline.CancelAfter(Timeout.InfiniteTimeSpan);
            await limiter.WaitAsync(blob.Length, cancellationToken);
            deadline.CancelAfter(_options.SendTimeout);
        }

        await SendAllAsync(socket, header.WrittenMemory, cancellationToken);
        await SendAllAsync(socket, content, cancellationToken);
        Interlocked.Increment(ref _blobsServed);
        Interlocked.Add(ref _bytesServed, blob.Length);
        BlobSent?.Invoke(blob.Hash!.Value, blob.Length);
    }

    private void WriteHeader(BlobRequest request, IncomingBlob? incoming, ArrayBufferWriter<byte> header)
    {
        List<BlobHash>? available = null;
        if (request.RequestedBlobs is { } asked)
        {
            available = new List<BlobHash>(asked.Count);
            for (var i = 0; i < asked.Count; i++)
            {
                // The requested blob was just looked up (and may have vanished since); others are looked up now.
                var hash = asked[i];
                if (request.RequestedBlob == hash ? incoming is not null : IsServable(hash, out _))
                {
                    available.Add(asked[i]);
                }
            }
        }

        header.ResetWrittenCount();
        BlobExchangeCodec.WriteResponse(
            new BlobResponse
            {
                IncomingBlob = incoming,
                BlobDataPaymentRate = request.BlobDataPaymentRate is null ? null : BlobResponse.RateAccepted,
                AvailableBlobs = available,
                LbrycrdAddress = request.LbrycrdAddress is null ? null : BlobResponse.ServerAddress,
            },
            header);
    }

    /// <summary>
    /// The store only ever names a file by its hash after verifying it (atomic rename of a checked temporary
    /// file), so a file present under the name is a verified blob.
    /// </summary>
    private bool IsInStore(BlobHash hash, out long length)
    {
        length = _store.TryGetLength(hash) ?? -1;
        return length is >= 0 and <= BlobStore.MaxBlobSize;
    }

    // Under a limit the blob goes in slices, each waiting for its bytes, so one 2 MiB blob does not burst past the
    // limit and several connections share it evenly. The send timeout counts sending, not waiting for the limiter.
    private async Task SendPacedAsync(Socket socket, BlobHash hash, ReadOnlyMemory<byte> header, ByteRateLimiter limiter, CancellationTokenSource deadline)
    {
        using var file = File.OpenHandle(_store.PathOf(hash), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.SequentialScan);
        await SendAllAsync(socket, header, deadline.Token);
        var buffer = ArrayPool<byte>.Shared.Rent(PacedSlice);
        // One place in line for the whole blob: an earlier blob's slices go first, so blobs finish one by one.
        var ticket = ByteRateLimiter.NextTicket();
        try
        {
            long offset = 0;
            while (true)
            {
                var read = await RandomAccess.ReadAsync(file, buffer.AsMemory(0, PacedSlice), offset, deadline.Token);
                if (read == 0)
                {
                    return;
                }

                deadline.CancelAfter(Timeout.InfiniteTimeSpan);
                await limiter.WaitAsync(read, ticket, deadline.Token);
                deadline.CancelAfter(_options.SendTimeout);
                await SendAllAsync(socket, buffer.AsMemory(0, read), deadline.Token);
                offset += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>In the store, or claimed by the fallback source (which checks each blob it builds before sending).</summary>
    private bool IsServable(BlobHash hash, out long length)
    {
        length = _store.TryGetLength(hash) ?? _options.FallbackSource?.TryGetLength(hash) ?? -1;
        return length is >= 0 and <= BlobStore.MaxBlobSize;
    }

    private static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        while (!bytes.IsEmpty)
        {
            var sent = await socket.SendAsync(bytes, SocketFlags.None, cancellationToken);
            bytes = bytes[sent..];
        }
    }

    private void Report(string message) => Diagnostic?.Invoke(message);
}
