using System.Net;

namespace SmartShare.BitTorrent.PeerWire.Transport;

/// <summary>
/// Which transport each peer address last answered on, for the <see cref="DualPeerTransport"/> to dial that one
/// first next time. Bounded: past <see cref="Capacity"/> addresses the least recently used is forgotten.
/// </summary>
internal sealed class PeerTransportMemory(int capacity)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<IPEndPoint, LinkedListNode<(IPEndPoint Peer, bool Tcp)>> _entries = [];
    private readonly LinkedList<(IPEndPoint Peer, bool Tcp)> _order = new();

    public int Capacity { get; } = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "The memory must hold at least one address.");

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>True when <paramref name="peer"/> last answered on TCP, false on uTP, null when unknown.</summary>
    public bool? AnsweredOnTcp(IPEndPoint peer)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(peer, out var node))
            {
                return null;
            }

            _order.Remove(node);
            _order.AddFirst(node);
            return node.Value.Tcp;
        }
    }

    public void Remember(IPEndPoint peer, bool tcp)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(peer, out var node))
            {
                _order.Remove(node);
                node.Value = (peer, tcp);
                _order.AddFirst(node);
                return;
            }

            if (_entries.Count >= Capacity && _order.Last is { } oldest)
            {
                _order.RemoveLast();
                _entries.Remove(oldest.Value.Peer);
            }

            _entries[peer] = _order.AddFirst((peer, tcp));
        }
    }
}
