namespace SmartShare.Kademlia.Storage;

/// <summary>
/// Peers announced to us, per key, with expiry. When full, a new key is rejected (existing keys are not pushed
/// out by a flood of new ones) and a new peer for a full key evicts that key's oldest peer (fresh announcements
/// are likelier to be reachable). Thread-safe.
/// </summary>
public sealed class PeerStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<NodeId, List<StoredPeer>> _peersByKey = [];
    private readonly TimeProvider _timeProvider;
    private readonly PeerStoreOptions _options;

    public PeerStore(TimeProvider timeProvider, PeerStoreOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        _timeProvider = timeProvider;
        _options = options ?? new PeerStoreOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxKeys, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxPeersPerKey, 1);
    }

    public int KeyCount
    {
        get
        {
            lock (_gate)
            {
                return _peersByKey.Count;
            }
        }
    }

    public int PeerCount
    {
        get
        {
            lock (_gate)
            {
                return _peersByKey.Values.Sum(peers => peers.Count);
            }
        }
    }

    /// <summary>Adds or refreshes a peer; false when the value is too long or the store is full of keys.</summary>
    public bool Store(NodeId key, ReadOnlySpan<byte> peerValue, NodeId announcer)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(announcer);
        if (peerValue.IsEmpty || peerValue.Length > _options.MaxPeerValueLength)
        {
            return false;
        }

        var now = _timeProvider.GetUtcNow();
        lock (_gate)
        {
            if (!_peersByKey.TryGetValue(key, out var peers))
            {
                if (_peersByKey.Count >= _options.MaxKeys)
                {
                    RemoveExpiredCore(now);
                    if (_peersByKey.Count >= _options.MaxKeys)
                    {
                        return false;
                    }
                }

                peers = [];
                _peersByKey[key] = peers;
            }

            for (var i = 0; i < peers.Count; i++)
            {
                if (peers[i].Value.Span.SequenceEqual(peerValue))
                {
                    peers.RemoveAt(i);
                    break;
                }
            }

            if (peers.Count >= _options.MaxPeersPerKey)
            {
                // The list is kept in store order, so the head is the least recently stored peer.
                peers.RemoveAt(0);
            }

            peers.Add(new StoredPeer(peerValue.ToArray(), announcer, now));
            return true;
        }
    }

    /// <summary>The unexpired peers for a key, least recently stored first.</summary>
    public IReadOnlyList<StoredPeer> GetPeers(NodeId key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var now = _timeProvider.GetUtcNow();
        lock (_gate)
        {
            if (!_peersByKey.TryGetValue(key, out var peers))
            {
                return [];
            }

            return peers.Where(peer => !IsExpired(peer, now)).ToArray();
        }
    }

    /// <summary>Drops expired entries and keys left empty; returns how many peers were dropped.</summary>
    public int RemoveExpired()
    {
        var now = _timeProvider.GetUtcNow();
        lock (_gate)
        {
            return RemoveExpiredCore(now);
        }
    }

    private int RemoveExpiredCore(DateTimeOffset now)
    {
        var removed = 0;
        List<NodeId>? emptyKeys = null;
        foreach (var (key, peers) in _peersByKey)
        {
            removed += peers.RemoveAll(peer => IsExpired(peer, now));
            if (peers.Count == 0)
            {
                (emptyKeys ??= []).Add(key);
            }
        }

        foreach (var key in emptyKeys ?? [])
        {
            _peersByKey.Remove(key);
        }

        return removed;
    }

    private bool IsExpired(StoredPeer peer, DateTimeOffset now) => now - peer.StoredAt >= _options.Expiry;
}
