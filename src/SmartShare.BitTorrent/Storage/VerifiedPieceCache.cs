using System.Buffers;

namespace SmartShare.BitTorrent.Storage;

/// <summary>
/// A bounded LRU cache of verified pieces for seeding. Peers ask for 16 KiB blocks; the first request for a piece
/// reads the whole piece once (SHA-1-checked the first time in a run, see <see cref="TorrentStorage.ReadServedPieceAsync"/>),
/// and the following blocks come from memory. Concurrent requests for a
/// piece share one read. Piece memory comes from <see cref="ArrayPool{T}"/> and goes back there once the piece has
/// left the cache and no <see cref="PieceLease"/> holds it. Thread-safe.
/// </summary>
public sealed class VerifiedPieceCache : IDisposable
{
    private readonly Func<int, Memory<byte>, CancellationToken, ValueTask<bool>> _verify;
    private readonly Func<int, int> _pieceSize;
    private readonly long _maxBytes;
    private readonly Lock _lock = new();
    private readonly Dictionary<int, Entry> _entries = [];
    private readonly LinkedList<Entry> _recent = new(); // most recently used first
    private readonly Dictionary<int, Load> _loading = [];
    private long _cachedBytes;
    private long _diskReads;
    private bool _disposed;

    public VerifiedPieceCache(TorrentStorage storage, long maxBytes = 32 * 1024 * 1024)
        : this(
            (storage ?? throw new ArgumentNullException(nameof(storage))).ReadServedPieceAsync,
            storage.Info.GetPieceSize,
            maxBytes)
    {
    }

    /// <summary>For tests: a cache over any verifying reader.</summary>
    internal VerifiedPieceCache(Func<int, Memory<byte>, CancellationToken, ValueTask<bool>> verify, Func<int, int> pieceSize, long maxBytes)
    {
        ArgumentNullException.ThrowIfNull(verify);
        ArgumentNullException.ThrowIfNull(pieceSize);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        _verify = verify;
        _pieceSize = pieceSize;
        _maxBytes = maxBytes;
    }

    /// <summary>How many pieces were read from disk so far (hashed or trusted, see the constructor's reader).</summary>
    internal long DiskReads => Interlocked.Read(ref _diskReads);

    /// <summary>The bytes of the pieces now in the cache (leased pieces already evicted are not counted).</summary>
    internal long CachedBytes
    {
        get
        {
            lock (_lock)
            {
                return _cachedBytes;
            }
        }
    }

    internal int CachedPieces
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>
    /// The verified bytes of piece <paramref name="piece"/>, or null when the data on disk does not match its hash (or
    /// is missing). The lease must be disposed. Cancelling gives up waiting; a read shared with others goes on.
    /// </summary>
    public async ValueTask<PieceLease?> GetAsync(int piece, CancellationToken cancellationToken)
    {
        _ = _pieceSize(piece); // checks the index
        Load? load;
        var start = false;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_entries.TryGetValue(piece, out var cached))
            {
                cached.References++;
                _recent.Remove(cached.Node);
                _recent.AddFirst(cached.Node);
                return new PieceLease(this, cached);
            }

            if (!_loading.TryGetValue(piece, out load))
            {
                load = new Load();
                _loading[piece] = load;
                start = true;
            }

            load.Waiters++;
        }

        if (start)
        {
            // Not awaited here: the read belongs to every waiter, and one waiter's cancellation must not stop it.
            _ = LoadAsync(piece, load);
        }

        Entry? entry;
        try
        {
            entry = await load.Done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            lock (_lock)
            {
                if (!load.Finished)
                {
                    load.Waiters--;
                }
                else if (load.Done.Task.IsCompletedSuccessfully && load.Done.Task.Result is { } given)
                {
                    ReleaseLocked(given);
                }
            }

            throw;
        }

        // The load already counted a reference for each waiter.
        return entry is null ? null : new PieceLease(this, entry);
    }

    /// <summary>Caches a copy of a piece the caller has just verified, so that uploads right after need no disk read.</summary>
    public void Put(int piece, ReadOnlyMemory<byte> verifiedData)
    {
        var size = _pieceSize(piece);
        if (verifiedData.Length != size)
        {
            throw new ArgumentException($"Piece {piece} is {size} bytes, not {verifiedData.Length}.", nameof(verifiedData));
        }

        if (size > _maxBytes)
        {
            return;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(size);
        verifiedData.Span.CopyTo(buffer);
        lock (_lock)
        {
            if (!_disposed)
            {
                InsertLocked(new Entry(piece, buffer, size));
                return;
            }
        }

        ArrayPool<byte>.Shared.Return(buffer);
    }

    /// <summary>Empties the cache; pieces still leased go back to the pool when their leases are disposed.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            while (_recent.First is { } node)
            {
                RemoveLocked(node.Value);
            }
        }
    }

    internal void Release(Entry entry)
    {
        lock (_lock)
        {
            ReleaseLocked(entry);
        }
    }

    private async Task LoadAsync(int piece, Load load)
    {
        byte[]? buffer = null;
        try
        {
            var size = _pieceSize(piece);
            buffer = ArrayPool<byte>.Shared.Rent(size);
            Interlocked.Increment(ref _diskReads);
            var matches = await _verify(piece, buffer.AsMemory(0, size), CancellationToken.None).ConfigureAwait(false);
            Entry? entry = null;
            lock (_lock)
            {
                Finish(piece, load);
                if (matches)
                {
                    entry = new Entry(piece, buffer, size) { References = load.Waiters };
                    buffer = null;
                    if (!_disposed)
                    {
                        InsertLocked(entry);
                    }

                    if (entry.References == 0)
                    {
                        // Every waiter gave up and the piece could not be cached.
                        buffer = entry.Buffer;
                        entry = null;
                    }
                }
            }

            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            load.Done.SetResult(entry);
        }
        catch (Exception ex)
        {
            lock (_lock)
            {
                Finish(piece, load);
            }

            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            load.Done.SetException(ex);
        }
    }

    private void Finish(int piece, Load load)
    {
        if (_loading.TryGetValue(piece, out var current) && current == load)
        {
            _loading.Remove(piece);
        }

        load.Finished = true;
    }

    // Adds the cache's own reference and evicts the least recently used pieces beyond the bound.
    private void InsertLocked(Entry entry)
    {
        if (entry.Length > _maxBytes)
        {
            return;
        }

        if (_entries.TryGetValue(entry.Piece, out var old))
        {
            RemoveLocked(old);
        }

        entry.References++;
        entry.Cached = true;
        _entries[entry.Piece] = entry;
        _recent.AddFirst(entry.Node);
        _cachedBytes += entry.Length;
        while (_cachedBytes > _maxBytes && _recent.Last is { } last)
        {
            RemoveLocked(last.Value);
        }
    }

    private void RemoveLocked(Entry entry)
    {
        _entries.Remove(entry.Piece);
        _recent.Remove(entry.Node);
        _cachedBytes -= entry.Length;
        entry.Cached = false;
        ReleaseLocked(entry);
    }

    private static void ReleaseLocked(Entry entry)
    {
        entry.References--;
        if (entry.References == 0)
        {
            ArrayPool<byte>.Shared.Return(entry.Buffer);
        }
    }

    internal sealed class Entry
    {
        public Entry(int piece, byte[] buffer, int length)
        {
            Piece = piece;
            Buffer = buffer;
            Length = length;
            Node = new LinkedListNode<Entry>(this);
        }

        public int Piece { get; }

        public byte[] Buffer { get; }

        public int Length { get; }

        public LinkedListNode<Entry> Node { get; }

        /// <summary>The cache's own reference (while cached) plus one per live lease; guarded by the cache's lock.</summary>
        public int References { get; set; }

        public bool Cached { get; set; }
    }

    private sealed class Load
    {
        public TaskCompletionSource<Entry?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Waiters { get; set; }

        public bool Finished { get; set; }
    }
}

/// <summary>A verified piece borrowed from a <see cref="VerifiedPieceCache"/>; dispose it when done with the bytes.</summary>
public sealed class PieceLease : IDisposable
{
    private readonly VerifiedPieceCache _cache;
    private readonly VerifiedPieceCache.Entry _entry;
    private int _disposed;

    internal PieceLease(VerifiedPieceCache cache, VerifiedPieceCache.Entry entry)
    {
        _cache = cache;
        _entry = entry;
    }

    /// <summary>The piece's bytes; valid until the lease is disposed.</summary>
    public ReadOnlyMemory<byte> Data
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return _entry.Buffer.AsMemory(0, _entry.Length);
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _cache.Release(_entry);
        }
    }
}
