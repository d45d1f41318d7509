using SmartShare.Lbry.Blobs;

namespace SmartShare.Node.BlobStorage;

/// <summary>
/// The last few blobs rebuilt from plain files, so a peer (or several) fetching the same blob again, as lbry-sdk's
/// downloader does across connections, costs no second encryption. Bounded by count; the arrays are never written
/// after they enter, so readers share them.
/// </summary>
internal sealed class ReencryptedBlobCache(int capacity)
{
    private readonly LinkedList<(BlobHash Hash, byte[] Content)> _order = new();
    private readonly Dictionary<BlobHash, LinkedListNode<(BlobHash Hash, byte[] Content)>> _byHash = [];
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

    public byte[]? TryGet(BlobHash hash)
    {
        lock (_gate)
        {
            if (!_byHash.TryGetValue(hash, out var node))
            {
                return null;
            }

            _order.Remove(node);
            _order.AddFirst(node);
            return node.Value.Content;
        }
    }

    public void Add(BlobHash hash, byte[] content)
    {
        lock (_gate)
        {
            if (_byHash.ContainsKey(hash) || capacity <= 0)
            {
                return;
            }

            _byHash[hash] = _order.AddFirst((hash, content));
            while (_byHash.Count > capacity)
            {
                var last = _order.Last!;
                _order.RemoveLast();
                _byHash.Remove(last.Value.Hash);
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
                }
            }
        }
    }
}
