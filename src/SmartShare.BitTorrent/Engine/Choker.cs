using SmartShare.Networking;

namespace SmartShare.BitTorrent.Engine;

/// <summary>What the choker knows of one connected peer.</summary>
public readonly record struct ChokeCandidate<T>(T Peer, bool Interested, double DownloadRate, double UploadRate)
{
    /// <summary>The host the peer connects from: one host gets one regular slot while another host waits.</summary>
    public NetworkHost Host { get; init; }
}

/// <summary>
/// Tit-for-tat (BEP 3): unchoke the interested peers that give us the most (while downloading) or take the most
/// (while seeding, so uploads go where they move fastest), plus one optimistic unchoke that rotates so newcomers get a
/// chance to prove themselves. One host holding several connections (one machine posing as many peers) gets one
/// regular slot while an interested peer of another host waits, and the optimistic unchoke prefers a host that holds
/// none: so no host takes the whole upload from the others; a slot only goes to a host's second connection when no
/// other host wants it. Pure: the session calls it every 10 s and applies the result.
/// </summary>
public static class Choker
{
    /// <summary>Regular unchoke slots; one more goes to the optimistic unchoke.</summary>
    public const int RegularSlots = 4;

    /// <summary>
    /// Returns the peers to unchoke. <paramref name="optimistic"/> is kept unless <paramref name="rotate"/>, in which
    /// case another interested peer outside the regular slots is drawn with <paramref name="draw"/> (an index below
    /// its argument).
    /// </summary>
    public static HashSet<T> Decide<T>(
        IReadOnlyList<ChokeCandidate<T>> candidates, bool seeding, ref T? optimistic, bool rotate, Func<int, int> draw)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(draw);
        var interested = candidates.Where(c => c.Interested).ToList();
        interested.Sort((a, b) => seeding
            ? b.UploadRate.CompareTo(a.UploadRate)
            : b.DownloadRate.CompareTo(a.DownloadRate));

        var unchoked = new HashSet<T>(ReferenceEqualityComparer.Instance);
        var hosts = new HashSet<NetworkHost>();
        foreach (var candidate in interested)
        {
            if (unchoked.Count < RegularSlots && hosts.Add(candidate.Host))
            {
                unchoked.Add(candidate.Peer);
            }
        }

        // Slots no other host wants go to the fastest second connections.
        foreach (var candidate in interested)
        {
            if (unchoked.Count >= RegularSlots)
            {
                break;
            }

            unchoked.Add(candidate.Peer);
        }

        var rest = interested.Where(c => !unchoked.Contains(c.Peer)).ToList();
        var fresh = rest.Where(c => !hosts.Contains(c.Host)).Select(c => c.Peer).ToList();
        var pool = fresh.Count > 0 ? fresh : rest.Select(c => c.Peer).ToList();
        var current = optimistic;
        var stillThere = current is not null && pool.Exists(p => ReferenceEquals(p, current));
        if (rotate || !stillThere)
        {
            optimistic = pool.Count == 0 ? null : pool[draw(pool.Count)];
        }

        if (optimistic is not null)
        {
            unchoked.Add(optimistic);
        }

        return unchoked;
    }
}
