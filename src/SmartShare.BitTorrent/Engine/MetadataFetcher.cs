using System.Net;
using System.Net.Sockets;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.PeerWire;

namespace SmartShare.BitTorrent.Engine;

/// <summary>
/// Fetches a torrent's info dictionary from peers by ut_metadata (BEP 9), for a torrent known only by its info hash
/// (a magnet link). Peers come from <see cref="AddPeers"/> at any time (x.pe, trackers, the DHT) and from ut_pex
/// messages the peers send meanwhile. Up to <see cref="MaxConnections"/> peers are dialed at once; the 16 KiB
/// pieces are spread over the peers that offer ut_metadata with the size most of them announce, a rejected or
/// unanswered piece is asked of another, and the whole is returned only once its SHA-1 is the info hash. When the
/// check fails, a peer that sent every piece is banned; when several did, the pieces are fetched again each time from
/// one peer alone, which finds the liar.
/// </summary>
/// <remarks>Usage: <c>await using var f = new MetadataFetcher(hash, peerId, port); f.AddPeers(magnet.Peers); var info = await f.FetchAsync(ct);</c>
/// then <see cref="TorrentMetadata.ToTorrentFile"/> for the .torrent bytes.</remarks>
public sealed class MetadataFetcher : IAsyncDisposable
{
    private const byte MetadataId = 1;
    private const byte PexId = 2;
    private const int MaxKnownPeers = 2000;
    private const int MaxLearnedPeers = 500;

    private readonly Lock _lock = new();
    private readonly InfoHash _infoHash;
    private readonly PeerId _peerId;
    private readonly int _listenPort;
    private readonly PeerConnectionOptions _connection;
    private readonly TimeProvider _time;
    private readonly Action<string>? _log;
    private readonly Queue<IPEndPoint> _queue = new();
    private readonly HashSet<IPEndPoint> _known = [];
    private readonly HashSet<IPEndPoint> _banned = [];
    private readonly List<IPEndPoint> _learned = [];
    private readonly List<IPEndPoint> _wrongSize = [];
    private readonly List<Source> _sources = [];
    private readonly List<Task> _tasks = [];
    private readonly TaskCompletionSource<byte[]> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private int _dialing;
    private bool _running;
    private int? _size;
    private byte[] _buffer = [];
    private bool[] _have = [];
    private Source?[] _from = [];
    private Source?[] _assigned = [];
    private bool _oneSourceAtATime;
    private Source? _exclusive;

    /// <param name="time">The clock of the request timeouts and of the connections' own; default the system clock.</param>
    public MetadataFetcher(
        InfoHash infoHash, PeerId peerId, int listenPort, PeerConnectionOptions? connection = null, Action<string>? log = null, TimeProvider? time = null)
    {
        _infoHash = infoHash;
        _peerId = peerId;
        _listenPort = listenPort;
        _time = time ?? TimeProvider.System;
        _connection = (connection ?? PeerConnectionOptions.Default).WithTime(_time);
        _log = log;
    }

    /// <summary>Peers connected at once (dialing included). Default 8.</summary>
    public int MaxConnections { get; init; } = 8;

    /// <summary>How long a peer may take to send its extension handshake or answer a request before it is dropped. Default 15 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Pieces asked of one peer at once. Default 4.</summary>
    public int MaxRequestsPerPeer { get; init; } = 4;

    /// <summary>Peers learnt from ut_pex messages during the fetch (at most 500), for the torrent's session afterwards.</summary>
    public IReadOnlyList<IPEndPoint> LearnedPeers
    {
        get
        {
            lock (_lock)
            {
                return [.. _learned];
            }
        }
    }

    /// <summary>The peers whose pieces made up the verified metadata: known to be up and to have the torrent, so worth dialing first.</summary>
    public IReadOnlyList<IPEndPoint> SuppliedBy
    {
        get
        {
            lock (_lock)
            {
                return [.. _from.OfType<Source>().Select(source => source.EndPoint).Distinct()];
            }
        }
    }

    /// <summary>Every address given or learnt, except those banned for serving bad metadata.</summary>
    public IReadOnlyList<IPEndPoint> KnownPeers
    {
        get
        {
            lock (_lock)
            {
                return [.. _known.Where(e => !_banned.Contains(e))];
            }
        }
    }

    /// <summary>Addresses to try; duplicates and addresses already tried are ignored. May be called at any time.</summary>
    public void AddPeers(IEnumerable<IPEndPoint> peers)
    {
        ArgumentNullException.ThrowIfNull(peers);
        lock (_lock)
        {
            foreach (var peer in peers)
            {
                if (peer.Port is > 0 and <= 65535 && _known.Count < MaxKnownPeers && _known.Add(peer))
                {
                    _queue.Enqueue(peer);
                }
            }
        }

        DialMore();
    }

    /// <summary>Fetches and verifies the info dictionary; returns its exact bytes, whose SHA-1 is the info hash.</summary>
    /// <exception cref="OperationCanceledException">The caller cancelled (there is no other time limit: peers may come later).</exception>
    /// <exception cref="InvalidOperationException">Called twice.</exception>
    public async Task<byte[]> FetchAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_running)
            {
                throw new InvalidOperationException("A metadata fetcher fetches once.");
            }

            _running = true;
            _tasks.Add(Task.Run(() => WatchTimeoutsAsync(_stop.Token), CancellationToken.None));
        }

        DialMore();
        try
        {
            return await _result.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await StopAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task StopAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _result.TrySetCanceled();
        Task[] tasks;
        lock (_lock)
        {
            foreach (var source in _sources)
            {
                source.Close();
            }

            tasks = [.. _tasks];
        }

        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Log(string message) => _log?.Invoke($"metadata {_infoHash.ToString()[..8]}: {message}");

    private void DialMore()
    {
        lock (_lock)
        {
            if (!_running || _stop.IsCancellationRequested)
            {
                return;
            }

            while (_dialing + _sources.Count < MaxConnections && _queue.TryDequeue(out var endPoint))
            {
                if (_banned.Contains(endPoint))
                {
                    continue;
                }

                _dialing++;
                _tasks.RemoveAll(t => t.IsCompleted);
                _tasks.Add(Task.Run(() => RunSourceAsync(endPoint), CancellationToken.None));
            }
        }
    }

    private async Task RunSourceAsync(IPEndPoint endPoint)
    {
        PeerConnection connection;
        try
        {
            connection = await PeerConnection.ConnectAsync(
                endPoint, new Handshake(_infoHash, _peerId, PeerCapabilities.ExtensionProtocol), _connection, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is PeerConnectionException or OperationCanceledException)
        {
            lock (_lock)
            {
                _dialing--;
            }

            if (e is PeerConnectionException)
            {
                Log($"could not connect to {endPoint}: {e.Message}");
            }

            DialMore();
            return;
        }

        var source = new Source(connection, endPoint, _stop.Token) { Deadline = Deadline() };
        lock (_lock)
        {
            _dialing--;
            _sources.Add(source);
        }

        var reason = "closed";
        try
        {
            if ((connection.Remote.Capabilities & PeerCapabilities.ExtensionProtocol) == 0)
            {
                reason = "it does not speak the extension protocol";
                return;
            }

            var ours = new ExtensionHandshake(
                new Dictionary<string, byte>(StringComparer.Ordinal) { [MetadataMessage.ExtensionName] = MetadataId, [PexMessage.ExtensionName] = PexId },
                MetadataSize: null,
                Client: "SmartShare 0.1",
                RequestQueue: 16,
                ListenPort: _listenPort is > 0 and <= 65535 ? (ushort)_listenPort : null,
                YourIp: null);
            await connection.SendExtendedAsync(0, ours.Encode(), source.Token).ConfigureAwait(false);
            while (true)
            {
                var message = await connection.ReadAsync(source.Token).ConfigureAwait(false);
                if (message.Type != PeerMessageType.Extended)
                {
                    continue;
                }

                var drop = message.ExtendedId switch
                {
                    0 => OnExtensionHandshake(source, message),
                    MetadataId => OnMetadata(source, message),
                    PexId => OnPex(source, message),
                    _ => null,
                };
                if (drop is not null)
                {
                    reason = drop;
                    return;
                }

                Pump();
            }
        }
        catch (PeerConnectionException e)
        {
            reason = e.Message;
        }
        catch (OperationCanceledException)
        {
            reason = source.CloseReason ?? "closed";
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            reason = e.Message;
        }
        finally
        {
            source.Close();
            await connection.DisposeAsync().ConfigureAwait(false);
            lock (_lock)
            {
                _sources.Remove(source);
                Release(source);
                if (_exclusive == source)
                {
                    _exclusive = null;
                }
            }

            source.Dispose();
            if (!_stop.IsCancellationRequested)
            {
                Log($"left {endPoint}: {reason}");
            }

            DialMore();
            Pump();
        }
    }

    // Returns why to drop the peer, or null.
    private string? OnExtensionHandshake(Source source, in PeerMessage message)
    {
        ExtensionHandshake handshake;
        try
        {
            handshake = ExtensionHandshake.Decode(message.Payload);
        }
        catch (PeerWireFormatException e)
        {
            return e.Message;
        }

        if (!handshake.Messages.TryGetValue(MetadataMessage.ExtensionName, out var id))
        {
            return "it does not offer ut_metadata";
        }

        if (handshake.MetadataSize is not { } size || size <= 0 || size > MetadataMessage.MaxMetadataSize)
        {
            return $"it announced no usable metadata_size ({handshake.MetadataSize?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"})";
        }

        lock (_lock)
        {
            if (_size is { } agreed && agreed != size)
            {
                _wrongSize.Add(source.EndPoint);
                return $"it announced {size} bytes of metadata where others announced {agreed}";
            }

            source.MetadataId = id;
            source.Size = size;
            source.Deadline = long.MaxValue;
        }

        return null;
    }

    private string? OnMetadata(Source source, in PeerMessage message)
    {
        MetadataMessage metadata;
        try
        {
            metadata = MetadataMessage.Decode(message.Payload);
        }
        catch (PeerWireFormatException e)
        {
            return e.Message;
        }

        lock (_lock)
        {
            switch (metadata.Type)
            {
                case MetadataMessageType.Data:
                    if (!source.Outstanding.Remove(metadata.Piece))
                    {
                        return null; // not asked of it (late, after a reset): ignore
                    }

                    if (metadata.TotalSize != _size)
                    {
                        _banned.Add(source.EndPoint);
                        return $"it sent a piece of {metadata.TotalSize} bytes of metadata after announcing {_size}";
                    }

                    _assigned[metadata.Piece] = null;
                    metadata.Block.Span.CopyTo(_buffer.AsSpan(metadata.Piece * MetadataMessage.BlockSize));
                    _have[metadata.Piece] = true;
                    _from[metadata.Piece] = source;
                    source.Deadline = source.Outstanding.Count > 0 ? Deadline() : long.MaxValue;
                    if (Array.TrueForAll(_have, h => h))
                    {
                        Verify();
                    }

                    return null;

                case MetadataMessageType.Reject:
                    if (source.Outstanding.Contains(metadata.Piece))
                    {
                        return $"it rejected metadata piece {metadata.Piece}";
                    }

                    return null;

                default:
                    return null; // requests (we have nothing to serve) and unknown types are ignored
            }
        }
    }

    private string? OnPex(Source source, in PeerMessage message)
    {
        PexMessage pex;
        try
        {
            pex = PexMessage.Decode(message.Payload);
        }
        catch (PeerWireFormatException e)
        {
            Log($"{source.EndPoint} sent a bad PEX message, ignored: {e.Message}");
            return null;
        }

        var fresh = new List<IPEndPoint>();
        lock (_lock)
        {
            foreach (var added in pex.Added)
            {
                if (_learned.Count >= MaxLearnedPeers)
                {
                    break;
                }

                if (!_known.Contains(added.EndPoint))
                {
                    _learned.Add(added.EndPoint);
                    fresh.Add(added.EndPoint);
                }
            }
        }

        if (fresh.Count > 0)
        {
            AddPeers(fresh);
        }

        return null;
    }

    // Under the lock.
    private void Verify()
    {
        if (InfoHash.Compute(_buffer) == _infoHash)
        {
            Log($"verified {_buffer.Length} bytes of metadata");
            _result.TrySetResult(_buffer);
            return;
        }

        var senders = _from.OfType<Source>().Distinct().ToList();
        if (senders.Count == 1)
        {
            var liar = senders[0];
            _banned.Add(liar.EndPoint);
            liar.Close("it sent metadata that does not hash to the info hash");
            Log($"banned {liar.EndPoint}: its metadata does not hash to {_infoHash}");
        }
        else
        {
            // Several peers share the blame: from now on each attempt takes every piece from one peer.
            _oneSourceAtATime = true;
            Log($"the metadata from {senders.Count} peers does not hash to {_infoHash}; fetching it again from one peer at a time");
        }

        Reset();
    }

    // Under the lock: forget every piece; the size is chosen again from the peers then connected.
    private void Reset()
    {
        foreach (var source in _sources)
        {
            source.Outstanding.Clear();
            source.Deadline = long.MaxValue;
        }

        _size = null;
        _buffer = [];
        _have = [];
        _from = [];
        _assigned = [];
        _exclusive = null;
        foreach (var endPoint in _wrongSize)
        {
            _queue.Enqueue(endPoint);
        }

        _wrongSize.Clear();
    }

    // Under the lock: a departed peer's pieces go back to the pool.
    private void Release(Source source)
    {
        foreach (var piece in source.Outstanding)
        {
            if (piece < _assigned.Length && _assigned[piece] == source)
            {
                _assigned[piece] = null;
            }
        }

        source.Outstanding.Clear();
        for (var i = 0; i < _from.Length; i++)
        {
            if (_from[i] == source && _oneSourceAtATime)
            {
                // One peer at a time: what a departed peer sent cannot be blamed on the next one.
                _have[i] = false;
                _from[i] = null;
            }
        }
    }

    private void Pump()
    {
        var sends = new List<(Source Source, int Piece)>();
        lock (_lock)
        {
            if (_stop.IsCancellationRequested || _result.Task.IsCompleted)
            {
                return;
            }

            var ready = _sources.Where(s => s.Size is not null && !s.Closed).ToList();
            if (_size is null)
            {
                if (ready.Count == 0)
                {
                    return;
                }

                // The size most peers announce; peers announcing another one are dropped and tried again after a reset.
                var size = ready.GroupBy(s => s.Size!.Value).OrderByDescending(g => g.Count()).First().Key;
                _size = size;
                var pieces = MetadataMessage.PieceCount(size);
                _buffer = new byte[size];
                _have = new bool[pieces];
                _from = new Source?[pieces];
                _assigned = new Source?[pieces];
                foreach (var other in ready.Where(s => s.Size != size))
                {
                    _wrongSize.Add(other.EndPoint);
                    other.Close($"it announced {other.Size} bytes of metadata where others announced {size}");
                }

                ready.RemoveAll(s => s.Size != size);
            }

            if (_oneSourceAtATime)
            {
                if (_exclusive is null || _exclusive.Closed)
                {
                    _exclusive = ready.FirstOrDefault();
                }

                ready = _exclusive is null ? [] : [_exclusive];
            }

            var next = 0;
            foreach (var source in ready)
            {
                while (source.Outstanding.Count < MaxRequestsPerPeer)
                {
                    while (next < _have.Length && (_have[next] || _assigned[next] is not null))
                    {
                        next++;
                    }

                    if (next >= _have.Length)
                    {
                        break;
                    }

                    _assigned[next] = source;
                    source.Outstanding.Add(next);
                    if (source.Deadline == long.MaxValue)
                    {
                        source.Deadline = Deadline();
                    }

                    sends.Add((source, next));
                }
            }
        }

        foreach (var (source, piece) in sends)
        {
            _ = SendRequestAsync(source, piece);
        }
    }

    private static async Task SendRequestAsync(Source source, int piece)
    {
        try
        {
            await source.Connection.SendExtendedAsync(source.MetadataId, MetadataMessage.EncodeRequest(piece), source.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is PeerConnectionException or OperationCanceledException or IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            source.Close("sending a request failed");
        }
    }

    private async Task WatchTimeoutsAsync(CancellationToken token)
    {
        var period = TimeSpan.FromMilliseconds(Math.Clamp(RequestTimeout.TotalMilliseconds / 4, 10, 1000));
        using var timer = new PeriodicTimer(period, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
            {
                var now = _time.GetTimestamp();
                lock (_lock)
                {
                    foreach (var source in _sources.Where(s => s.Deadline < now))
                    {
                        source.Close(source.Size is null
                            ? $"it sent no extension handshake within {RequestTimeout.TotalSeconds:0.#} s"
                            : $"it answered no metadata request within {RequestTimeout.TotalSeconds:0.#} s");
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private long Deadline() => _time.GetTimestamp() + (long)(RequestTimeout.TotalSeconds * _time.TimestampFrequency);

    private sealed class Source(PeerConnection connection, IPEndPoint endPoint, CancellationToken stop) : IDisposable
    {
        private readonly CancellationTokenSource _cancel = CancellationTokenSource.CreateLinkedTokenSource(stop);

        public PeerConnection Connection { get; } = connection;

        public IPEndPoint EndPoint { get; } = endPoint;

        public CancellationToken Token => _cancel.Token;

        public byte MetadataId { get; set; }

        public int? Size { get; set; }

        public HashSet<int> Outstanding { get; } = [];

        /// <summary>When the awaited extension handshake or answer is overdue (a timestamp of the fetcher's clock); long.MaxValue when nothing is awaited.</summary>
        public long Deadline { get; set; }

        public bool Closed { get; private set; }

        public string? CloseReason { get; private set; }

        public void Close(string? reason = null)
        {
            if (Closed)
            {
                return;
            }

            Closed = true;
            CloseReason = reason;
            try
            {
                _cancel.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }

        public void Dispose() => _cancel.Dispose();
    }
}
