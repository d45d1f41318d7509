using System.Buffers;
using SmartShare.Lbry.Blobs;

namespace SmartShare.Node.BlobStorage;

/// <summary>
/// The last few blobs rebuilt from plain files, so a peer (or several) fetching the same blob again, as lbry-sdk's
/// downloader does across connections, costs no second encryption. Bounded by count. Each blob is a
/// <see cref="RebuiltBlob"/> in a pooled array that the cache and the readers sending it share; the array goes back
/// to the pool when the last of them lets go, so serving a stream allocates no blob-sized array per blob.
/// </summary>
internal sealed class ReencryptedBlobCache(int capacity)
{
    private readonly LinkedList<(BlobHash Hash, RebuiltBlob Blob)> _order = new();
    private readonly Dictionary<BlobHash, LinkedListNode<(BlobHash Hash, RebuiltBlob Blob)>> _byHash = [];
    private readonly Lock _gate = new();

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _byHash.Count;
            }
        }
    }

    /// <summary>Whether a blob of that hash is cached.</summary>
    public bool Contains(BlobHash hash)
    {
        lock (_gate)
        {
            return _byHash.ContainsKey(hash);
        }
    }

    /// <summary>A lease on the cached blob (the caller disposes it), or null when it is not cached.</summary>
    public IMemoryOwner<byte>? TryGet(BlobHash hash)
    {
        lock (_gate)
        {
            if (!_byHash.TryGetValue(hash, out var node))
            {
                return null;
            }

            _order.Remove(node);
            _order.AddFirst(node);

            // The cache holds its own reference while the blob is in it, so this one cannot come too late.
            return node.Value.Blob.TryLease();
        }
    }

    /// <summary>Keeps <paramref name="blob"/> (with a reference of the cache's own) unless one of that hash is kept already.</summary>
    public void Add(BlobHash hash, RebuiltBlob blob)
    {
        ArgumentNullException.ThrowIfNull(blob);
        lock (_gate)
        {
            if (_byHash.ContainsKey(hash) || capacity <= 0 || !blob.TryAddReference())
            {
                return;
            }

            _byHash[hash] = _order.AddFirst((hash, blob));
            while (_byHash.Count > capacity)
            {
                var last = _order.Last!;
                _order.RemoveLast();
                _byHash.Remove(last.Value.Hash);
                last.Value.Blob.Release();
            }
        }
    }

    public void Remove(IEnumerable<BlobHash> hashes)
    {
        lock (_gate)
        {
            foreach (var hash in hashes)
            {
                if (_byHash.Remove(hash, out var node))
                {
                    _order.Remove(node);
                    node.Value.Blob.Release();
                }
            }
        }
    }
}

/// <summary>
/// A blob rebuilt into an array rented from <see cref="BlobBuffers.Pool"/>, counted by reference: it is created with
/// one (its first lease's), and the array goes back to the pool when the count falls to zero. Its bytes are never
/// written after it is made, so every holder may read them at once.
/// </summary>
internal sealed class RebuiltBlob
{
    private readonly byte[] _array;
    private readonly int _length;
    private int _references;

    private RebuiltBlob(byte[] array, int length)
    {
        _array = array;
        _length = length;
        _references = 1;
    }

    /// <summary>Wraps a filled rented array; the lease returned holds the first reference.</summary>
    public static IMemoryOwner<byte> Create(byte[] rented, int length, out RebuiltBlob blob)
    {
        ArgumentNullException.ThrowIfNull(rented);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, rented.Length);
        blob = new RebuiltBlob(rented, length);
        return new Lease(blob);
    }

    /// <summary>Whether the array is still out of the pool (tests).</summary>
    internal bool IsAlive => Volatile.Read(ref _references) > 0;

    /// <summary>A new lease, or null when the last reference was released already.</summary>
    public IMemoryOwner<byte>? TryLease() => TryAddReference() ? new Lease(this) : null;

    /// <summary>Takes one more reference unless the count has fallen to zero (the array may be back in the pool).</summary>
    public bool TryAddReference()
    {
        var current = Volatile.Read(ref _references);
        while (current > 0)
        {
            var seen = Interlocked.CompareExchange(ref _references, current + 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    /// <summary>Lets go of one reference; the last returns the array to the pool.</summary>
    public void Release()
    {
        var left = Interlocked.Decrement(ref _references);
        if (left == 0)
        {
            BlobBuffers.Pool.Return(_array);
        }
        else if (left < 0)
        {
            throw new InvalidOperationException("A rebuilt blob was released more often than it was referenced.");
        }
    }

    private sealed class Lease(RebuiltBlob blob) : IMemoryOwner<byte>
    {
        private int _disposed;

        public Memory<byte> Memory => Volatile.Read(ref _disposed) == 0
            ? blob._array.AsMemory(0, blob._length)
            : throw new ObjectDisposedException(nameof(RebuiltBlob));

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                blob.Release();
            }
        }
    }
}
