using System.Net;

namespace SmartShare.Networking;

/// <summary>
/// A bounded set of connection slots that no single host can fill to lock others out. Each slot belongs to a host
/// (an IPv4 address, or an IPv6 /64, which one machine usually holds whole). A connection that only waits (an idle
/// one, or one still in its handshake) marks itself <see cref="Slot.Evictable"/>; when the slots are full, or its
/// host holds its share already, a newcomer takes the slot of the connection that has waited longest, from the host
/// holding the most slots. So a host that opens hundreds of idle connections only ever evicts its own, while a
/// peer with one or two busy connections keeps them.
/// </summary>
public sealed class ConnectionSlots
{
    private readonly Dictionary<NetworkHost, List<Slot>> _byHost = [];
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private int _count;
    private long _evictions;

    /// <param name="capacity">Slots in all.</param>
    /// <param name="perHost">Slots one host may hold at once.</param>
    public ConnectionSlots(int capacity, int perHost, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(perHost, 1);
        Capacity = capacity;
        PerHost = Math.Min(perHost, capacity);
        _time = time ?? TimeProvider.System;
    }

    public int Capacity { get; }

    public int PerHost { get; }

    /// <summary>Slots held now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    /// <summary>How many waiting connections gave their slot to a newcomer so far.</summary>
    public long Evictions => Interlocked.Read(ref _evictions);

    /// <summary>
    /// A slot for a connection from <paramref name="address"/>, evicting a waiting connection when full; null when
    /// every slot it could take is busy (refuse the connection).
    /// </summary>
    /// <param name="evictable">Whether the new connection starts out waiting (still in its handshake).</param>
    public Slot? TryTake(IPAddress address, bool evictable)
    {
        ArgumentNullException.ThrowIfNull(address);
        var host = NetworkHost.Of(address);
        Slot? victim;
        Slot slot;
        lock (_gate)
        {
            _byHost.TryGetValue(host, out var own);
            victim = null;
            if (own is not null && own.Count >= PerHost)
            {
                victim = OldestWaiting(own);
                if (victim is null)
                {
                    return null;
                }
            }
            else if (_count >= Capacity)
            {
                victim = VictimFromBusiestHost();
                if (victim is null)
                {
                    return null;
                }
            }

            if (victim is not null)
            {
                RemoveLocked(victim);
                _evictions++;
            }

            slot = new Slot(this, host, evictable ? _time.GetTimestamp() : long.MaxValue);
            if (!_byHost.TryGetValue(host, out own))
            {
                own = [];
                _byHost[host] = own;
            }

            own.Add(slot);
            _count++;
        }

        victim?.Evict();
        return slot;
    }

    private static Slot? OldestWaiting(List<Slot> slots)
    {
        Slot? oldest = null;
        foreach (var slot in slots)
        {
            if (slot.WaitingSince != long.MaxValue && (oldest is null || slot.WaitingSince < oldest.WaitingSince))
            {
                oldest = slot;
            }
        }

        return oldest;
    }

    // The host with the most slots that has a waiting one gives up its longest-waiting connection.
    private Slot? VictimFromBusiestHost()
    {
        Slot? victim = null;
        var most = 0;
        foreach (var slots in _byHost.Values)
        {
            if (slots.Count < most || OldestWaiting(slots) is not { } candidate)
            {
                continue;
            }

            if (victim is null || slots.Count > most || candidate.WaitingSince < victim.WaitingSince)
            {
                victim = candidate;
                most = slots.Count;
            }
        }

        return victim;
    }

    private void RemoveLocked(Slot slot)
    {
        if (slot.Released || !_byHost.TryGetValue(slot.Host, out var own))
        {
            return;
        }

        slot.Released = true;
        own.Remove(slot);
        if (own.Count == 0)
        {
            _byHost.Remove(slot.Host);
        }

        _count--;
    }

    private void Release(Slot slot)
    {
        lock (_gate)
        {
            RemoveLocked(slot);
        }
    }

    private void SetWaiting(Slot slot, bool waiting)
    {
        lock (_gate)
        {
            slot.WaitingSince = waiting ? _time.GetTimestamp() : long.MaxValue;
        }
    }

    /// <summary>One connection's slot: dispose it when the connection closes.</summary>
    public sealed class Slot : IDisposable
    {
        private readonly ConnectionSlots _owner;
        private readonly CancellationTokenSource _evicted = new();
        private long _waitingSince;

        internal Slot(ConnectionSlots owner, NetworkHost host, long waitingSince)
        {
            _owner = owner;
            Host = host;
            WaitingSince = waitingSince;
        }

        /// <summary>Fires when a newcomer took this slot: close the connection.</summary>
        public CancellationToken Evicted => _evicted.Token;

        /// <summary>
        /// Whether the connection only waits now (idle between requests, or in its handshake), and so may give its
        /// slot to a newcomer. Set false while it does work for its peer.
        /// </summary>
        public bool Evictable
        {
            get => WaitingSince != long.MaxValue;
            set => _owner.SetWaiting(this, value);
        }

        internal NetworkHost Host { get; }

        /// <summary>When it began to wait (a <see cref="TimeProvider"/> timestamp); long.MaxValue while busy. Written under the owner's gate.</summary>
        internal long WaitingSince
        {
            get => Volatile.Read(ref _waitingSince);
            set => Volatile.Write(ref _waitingSince, value);
        }

        internal bool Released { get; set; }

        public void Dispose()
        {
            _owner.Release(this);
            _evicted.Dispose();
        }

        internal void Evict()
        {
            try
            {
                _evicted.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The connection closed on its own meanwhile.
            }
        }
    }
}
