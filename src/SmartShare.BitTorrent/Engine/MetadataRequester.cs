using System.Diagnostics;
using System.Globalization;
using System.Net;
using SmartShare.BitTorrent.PeerWire;

namespace SmartShare.BitTorrent.Engine;

/// <summary>
/// The asking side of ut_metadata (BEP 9), for a torrent known only by its info hash: which 16 KiB piece to ask of
/// which peer, how long a peer may take to send its extension handshake or answer, and what to make of the whole.
/// The pieces are spread over the peers offering ut_metadata with the size most of them announce; a rejected or
/// unanswered piece is asked of another; the whole is the result only once its SHA-1 is the info hash. When the
/// check fails, a peer that sent every piece is banned; when several did, the pieces are fetched again each time
/// from one peer alone, which finds the liar. Shares its host's lock, which guards all its state; sends its requests
/// itself and closes the peers it gives up on (their host's read loop then ends).
/// </summary>
internal sealed class MetadataRequester
{
    private readonly Lock _lock;
    private readonly TimeProvider _time;
    private readonly InfoHash _infoHash;
    private readonly Action<PeerSession, string> _ban;
    private readonly Action<IReadOnlyList<IPEndPoint>> _retry;
    private readonly Action<string> _log;
    private readonly Dictionary<PeerSession, Source> _sources = [];
    private readonly List<IPEndPoint> _wrongSize = [];
    private readonly List<IPEndPoint> _retryAfterReset = [];
    private readonly TaskCompletionSource<byte[]> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int? _size;
    private byte[] _buffer = [];
    private bool[] _have = [];
    private Source?[] _from = [];
    private Source?[] _assigned = [];
    private bool _oneSourceAtATime;
    private Source? _exclusive;

    /// <param name="hostLock">The host's lock.</param>
    /// <param name="time">The host's clock, for the deadlines.</param>
    /// <param name="infoHash">What the assembled info dictionary must hash to.</param>
    /// <param name="ban">Bans a peer that lied (called under the lock; the host bans its address and closes it).</param>
    /// <param name="retry">Dials again at once the peers dropped for announcing a size that proved wrong (called outside the lock).</param>
    /// <param name="log">The host's log.</param>
    public MetadataRequester(
        Lock hostLock, TimeProvider time, InfoHash infoHash, Action<PeerSession, string> ban, Action<IReadOnlyList<IPEndPoint>> retry, Action<string> log)
    {
        _lock = hostLock;
        _time = time;
        _infoHash = infoHash;
        _ban = ban;
        _retry = retry;
        _log = log;
    }

    /// <summary>How long a peer may take to send its extension handshake or answer a request.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Pieces asked of one peer at once.</summary>
    public int MaxRequestsPerPeer { get; set; } = 4;

    /// <summary>The verified info dictionary, once there is one.</summary>
    public Task<byte[]> Result => _result.Task;

    /// <summary>Under the lock: the peers whose pieces made up the metadata (all of it once verified).</summary>
    public IReadOnlyList<IPEndPoint> SuppliedBy
    {
        get
        {
            Debug.Assert(_lock.IsHeldByCurrentThread, "the pieces are guarded by the host's lock");
            return [.. _from.OfType<Source>().Select(source => source.Peer.EndPoint).Distinct()];
        }
    }

    /// <summary>Under the lock: the metadata's size once a peer announced it, and its 16 KiB pieces received so far.</summary>
    public (int? Size, int PiecesHave, int PiecesTotal) Pieces
    {
        get
        {
            Debug.Assert(_lock.IsHeldByCurrentThread, "the pieces are guarded by the host's lock");
            return (_size, _have.Count(have => have), _have.Length);
        }
    }

    /// <summary>Under the lock: how many connected peers are asked (or awaited) for metadata.</summary>
    public int SourceCount => _sources.Count;

    /// <summary>Under the lock: a connected peer, whose extension handshake is now awaited.</summary>
    public void Add(PeerSession peer)
    {
        Debug.Assert(_lock.IsHeldByCurrentThread, "the sources are guarded by the host's lock");
        _sources[peer] = new Source(peer) { Deadline = Deadline() };
    }

    /// <summary>Under the lock: a departed peer's pieces go back to the pool.</summary>
    public void Remove(PeerSession peer)
    {
        Debug.Assert(_lock.IsHeldByCurrentThread, "the sources are guarded by the host's lock");
        if (!_sources.Remove(peer, out var source))
        {
            return;
        }

        source.Closed = true;
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
            if (_from[i] == source && _oneSourceAtATime && !_result.Task.IsCompleted)
            {
                // One peer at a time: what a departed peer sent cannot be blamed on the next one.
                _have[i] = false;
                _from[i] = null;
            }
        }

        if (_exclusive == source)
        {
            _exclusive = null;
        }
    }

    /// <summary>The peer's extension handshake (noted as its <see cref="PeerSession.Extensions"/>); returns why to drop the peer, or null.</summary>
    public string? OnExtensionHandshake(PeerSession peer, in PeerMessage message)
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

        lock (_lock)
        {
            peer.Extensions = handshake;
        }

        if (!handshake.Messages.TryGetValue(MetadataMessage.ExtensionName, out var id))
        {
            return "it does not offer ut_metadata";
        }

        if (handshake.MetadataSize is not { } size || size <= 0 || size > MetadataMessage.MaxMetadataSize)
        {
            return $"it announced no usable metadata_size ({handshake.MetadataSize?.ToString(CultureInfo.InvariantCulture) ?? "none"})";
        }

        lock (_lock)
        {
            if (!_sources.TryGetValue(peer, out var source))
            {
                return null;
            }

            if (_size is { } agreed && agreed != size)
            {
                _wrongSize.Add(peer.EndPoint);
                return $"it announced {size} bytes of metadata where others announced {agreed}";
            }

            source.MetadataId = id;
            source.Size = size;
            source.Deadline = long.MaxValue;
        }

        return null;
    }

    /// <summary>A ut_metadata message from the peer; returns why to drop the peer, or null.</summary>
    public string? Receive(PeerSession peer, in PeerMessage message)
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
            if (!_sources.TryGetValue(peer, out var source))
            {
                return null;
            }

            switch (metadata.Type)
            {
                case MetadataMessageType.Data:
                    if (!source.Outstanding.Remove(metadata.Piece))
                    {
                        return null; // not asked of it (late, after a reset): ignore
                    }

                    if (metadata.TotalSize != _size)
                    {
                        _ban(peer, $"it sent a piece of {metadata.TotalSize} bytes of metadata after announcing {_size}");
                        return null;
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
                    return source.Outstanding.Contains(metadata.Piece) ? $"it rejected metadata piece {metadata.Piece}" : null;

                default:
                    return null; // requests (we have nothing to serve) and unknown types are ignored
            }
        }
    }

    /// <summary>
    /// Sends the requests due now (call after anything that may free a piece or a peer: a message handled, a peer
    /// gone, a tick), drops the peers announcing another size than the one settled, and has those dialed again that
    /// a reset wants back.
    /// </summary>
    public void Pump()
    {
        var drop = new List<(PeerSession Peer, string Reason)>();
        List<(PeerSession Peer, byte Id, int Piece)> sends;
        List<IPEndPoint> retry;
        lock (_lock)
        {
            sends = Assign(drop);
            retry = [.. _retryAfterReset];
            _retryAfterReset.Clear();
        }

        Drop(drop);
        foreach (var (peer, id, piece) in sends)
        {
            _ = PeerAction.SendExtended(id, MetadataMessage.EncodeRequest(piece)).RunOrCloseAsync(peer);
        }

        if (retry.Count > 0)
        {
            _retry(retry);
        }
    }

    /// <summary>Drops the peers whose extension handshake or answer is overdue at <paramref name="now"/>.</summary>
    public void DropOverdue(long now)
    {
        var drop = new List<(PeerSession Peer, string Reason)>();
        lock (_lock)
        {
            foreach (var source in _sources.Values.Where(s => s.Deadline < now && !s.Closed))
            {
                source.Closed = true;
                drop.Add((source.Peer, source.Size is null
                    ? $"it sent no extension handshake within {RequestTimeout.TotalSeconds:0.#} s"
                    : $"it answered no metadata request within {RequestTimeout.TotalSeconds:0.#} s"));
            }
        }

        Drop(drop);
    }

    /// <summary>The fetch is over: nothing more will be verified.</summary>
    public void Cancel() => _result.TrySetCanceled();

    // Under the lock: the requests to send now, each noted as asked of its peer. The first call with peers ready
    // settles the size (the one most of them announce); peers announcing another one are dropped, to be tried again
    // after a reset.
    private List<(PeerSession Peer, byte Id, int Piece)> Assign(List<(PeerSession Peer, string Reason)> drop)
    {
        Debug.Assert(_lock.IsHeldByCurrentThread, "the pieces are guarded by the host's lock");
        var sends = new List<(PeerSession Peer, byte Id, int Piece)>();
        if (_result.Task.IsCompleted)
        {
            return sends;
        }

        var ready = _sources.Values.Where(s => s.Size is not null && !s.Closed).ToList();
        if (_size is null)
        {
            if (ready.Count == 0)
            {
                return sends;
            }

            var size = ready.GroupBy(s => s.Size!.Value).OrderByDescending(g => g.Count()).First().Key;
            _size = size;
            var pieces = MetadataMessage.PieceCount(size);
            _buffer = new byte[size];
            _have = new bool[pieces];
            _from = new Source?[pieces];
            _assigned = new Source?[pieces];
            foreach (var other in ready.Where(s => s.Size != size))
            {
                other.Closed = true;
                _wrongSize.Add(other.Peer.EndPoint);
                drop.Add((other.Peer, $"it announced {other.Size} bytes of metadata where others announced {size}"));
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

                sends.Add((source.Peer, source.MetadataId, next));
            }
        }

        return sends;
    }

    private void Drop(List<(PeerSession Peer, string Reason)> drop)
    {
        foreach (var (peer, reason) in drop)
        {
            _log($"dropping {peer.EndPoint}: {reason}");
            peer.Close();
        }
    }

    // Under the lock.
    private void Verify()
    {
        if (InfoHash.Compute(_buffer) == _infoHash)
        {
            _log($"verified {_buffer.Length} bytes of metadata");
            _result.TrySetResult(_buffer);
            return;
        }

        var senders = _from.OfType<Source>().Distinct().ToList();
        if (senders.Count == 1)
        {
            senders[0].Closed = true;
            _ban(senders[0].Peer, $"its metadata does not hash to {_infoHash}");
        }
        else
        {
            // Several peers share the blame: from now on each attempt takes every piece from one peer.
            _oneSourceAtATime = true;
            _log($"the metadata from {senders.Count} peers does not hash to {_infoHash}; fetching it again from one peer at a time");
        }

        Reset();
    }

    // Under the lock: forget every piece; the size is chosen again from the peers then connected.
    private void Reset()
    {
        foreach (var source in _sources.Values)
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
        _retryAfterReset.AddRange(_wrongSize);
        _wrongSize.Clear();
    }

    private long Deadline() => _time.GetTimestamp() + (long)(RequestTimeout.TotalSeconds * _time.TimestampFrequency);

    private sealed class Source(PeerSession peer)
    {
        public PeerSession Peer { get; } = peer;

        public byte MetadataId { get; set; }

        public int? Size { get; set; }

        public HashSet<int> Outstanding { get; } = [];

        /// <summary>When the awaited extension handshake or answer is overdue (a timestamp of the host's clock); long.MaxValue when nothing is awaited.</summary>
        public long Deadline { get; set; }

        /// <summary>Dropped or banned: asked nothing more.</summary>
        public bool Closed { get; set; }
    }
}
