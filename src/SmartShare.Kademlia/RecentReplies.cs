using System.Net;

namespace SmartShare.Kademlia;

/// <summary>
/// When each address last answered us, whether or not it fits in the routing table, so that a requester known
/// to be good is not pinged back again (two full tables would otherwise ping each other forever). Bounded: when
/// full, stale entries are purged and, failing that, new addresses are not recorded.
/// </summary>
internal sealed class RecentReplies(TimeSpan window, int capacity)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<IPEndPoint, DateTimeOffset> _lastReply = [];

    public void Record(IPEndPoint endPoint, DateTimeOffset at)
    {
        lock (_gate)
        {
            if (_lastReply.Count >= capacity && !_lastReply.ContainsKey(endPoint))
            {
                foreach (var (stale, _) in _lastReply.Where(entry => at - entry.Value >= window).ToList())
                {
                    _lastReply.Remove(stale);
                }

                if (_lastReply.Count >= capacity)
                {
                    return;
                }
            }

            _lastReply[endPoint] = at;
        }
    }

    public DateTimeOffset? LastReplyWithinWindow(IPEndPoint endPoint, DateTimeOffset now)
    {
        lock (_gate)
        {
            return _lastReply.TryGetValue(endPoint, out var at) && now - at < window ? at : null;
        }
    }
}
