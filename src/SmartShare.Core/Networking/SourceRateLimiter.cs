using System.Net;

namespace SmartShare.Networking;

/// <summary>
/// A token bucket per source address for inbound datagrams: each address may send a burst, then a steady
/// rate; the excess is refused and counted. The table of addresses is bounded: when full, the address
/// seen least recently is forgotten (a forgotten address starts again with a full bucket, which costs a
/// flooder nothing it did not already have). Not thread-safe: one receive loop owns it.
/// </summary>
public sealed class SourceRateLimiter
{
    private readonly TimeProvider _time;
    private readonly double _tokensPerSecond;
    private readonly double _burst;
    private readonly int _maxSources;
    private readonly Dictionary<IPAddress, LinkedListNode<Bucket>> _buckets;
    private readonly LinkedList<Bucket> _byRecency = new();

    public SourceRateLimiter(TimeProvider time, double datagramsPerSecond, int burst, int maxSources)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(datagramsPerSecond);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(burst);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSources);
        _time = time;
        _tokensPerSecond = datagramsPerSecond;
        _burst = burst;
        _maxSources = maxSources;
        _buckets = new Dictionary<IPAddress, LinkedListNode<Bucket>>(Math.Min(maxSources, 1024));
    }

    /// <summary>Datagrams refused since the limiter was made.</summary>
    public long Refused { get; private set; }

    /// <summary>Addresses currently tracked (never more than the limit given).</summary>
    public int TrackedSources => _buckets.Count;

    /// <summary>Takes one token for <paramref name="source"/>; false means drop the datagram.</summary>
    public bool TryAccept(IPAddress source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var now = _time.GetTimestamp();
        if (_buckets.TryGetValue(source, out var node))
        {
            _byRecency.Remove(node);
            _byRecency.AddFirst(node);
            var bucket = node.Value;
            var elapsed = _time.GetElapsedTime(bucket.LastRefill, now).TotalSeconds;
            bucket.Tokens = Math.Min(_burst, bucket.Tokens + (elapsed * _tokensPerSecond));
            bucket.LastRefill = now;
            if (bucket.Tokens < 1)
            {
                Refused++;
                return false;
            }

            bucket.Tokens -= 1;
            return true;
        }

        if (_buckets.Count >= _maxSources)
        {
            var oldest = _byRecency.Last!;
            _byRecency.RemoveLast();
            _buckets.Remove(oldest.Value.Source);
        }

        var fresh = _byRecency.AddFirst(new Bucket(source) { Tokens = _burst - 1, LastRefill = now });
        _buckets[source] = fresh;
        return true;
    }

    private sealed class Bucket(IPAddress source)
    {
        public IPAddress Source { get; } = source;

        public double Tokens { get; set; }

        public long LastRefill { get; set; }
    }
}
