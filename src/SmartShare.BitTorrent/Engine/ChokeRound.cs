using System.Diagnostics;
using SmartShare.BitTorrent.PeerWire;
using SmartShare.Networking;

namespace SmartShare.BitTorrent.Engine;

/// <summary>
/// A torrent's choke round: every <see cref="TorrentSessionOptions.ChokeInterval"/> it asks the <see cref="Choker"/>
/// which peers to unchoke (tit-for-tat slots plus the optimistic unchoke, rotated every
/// <see cref="TorrentSessionOptions.OptimisticUnchokeInterval"/>) and says which choke or unchoke messages to send.
/// Owns the optimistic peer and the round's clocks; everything runs under the session's lock.
/// </summary>
internal sealed class ChokeRound(Lock sessionLock, TimeProvider time, TorrentSessionOptions options, Func<int, int> draw)
{
    private PeerSession? _optimistic;
    private long _lastChoke;
    private long _lastOptimistic;

    /// <summary>
    /// A peer turning interested is unchoked at once while an unchoke slot (regular or optimistic) is free, rather
    /// than waiting up to a round. A slot is held by an unchoked peer that is interested: one that lost interest
    /// (a leecher that finished) asks for nothing, so it holds none; the next round chokes it. Returns whether it was
    /// unchoked (the caller sends the unchoke).
    /// </summary>
    public bool TryUnchokeNow(PeerSession peer, IReadOnlyList<PeerSession> peers)
    {
        Debug.Assert(sessionLock.IsHeldByCurrentThread, "the choke round runs under the session's lock");
        if (peer.AmChoking && SlotsHeld(peers) < Choker.RegularSlots + 1 && MayTakeSlot(peers, peer.Host))
        {
            peer.AmChoking = false;
            return true;
        }

        return false;
    }

    /// <summary>
    /// After an unchoked peer lost interest or left, gives the freed slot at once to the first interested peer still
    /// choked (it asked while every slot was held), rather than leaving it to wait up to a round while the slot does
    /// nothing. Returns that peer (the caller sends it the unchoke), or null.
    /// </summary>
    public PeerSession? FillFreedSlot(IReadOnlyList<PeerSession> peers)
    {
        Debug.Assert(sessionLock.IsHeldByCurrentThread, "the choke round runs under the session's lock");
        if (SlotsHeld(peers) >= Choker.RegularSlots + 1)
        {
            return null;
        }

        PeerSession? sameHost = null;
        foreach (var waiting in peers)
        {
            if (waiting.AmChoking && waiting.PeerInterested)
            {
                if (HostSlots(peers, waiting.Host) == 0)
                {
                    waiting.AmChoking = false;
                    return waiting;
                }

                if (MayTakeSlot(peers, waiting.Host))
                {
                    sameHost ??= waiting;
                }
            }
        }

        if (sameHost is not null)
        {
            sameHost.AmChoking = false;
        }

        return sameHost;
    }

    /// <summary>
    /// Slots one host may take between rounds (its peers turning interested while slots are free) while a peer of
    /// another host is interested: so a host that opens many connections at once leaves the other slots to other
    /// hosts until the round shares them out. Alone, a host may take them all.
    /// </summary>
    internal const int MaxInstantSlotsPerHost = 2;

    private static bool MayTakeSlot(IReadOnlyList<PeerSession> peers, NetworkHost host) =>
        HostSlots(peers, host) < MaxInstantSlotsPerHost || !peers.Any(p => p.PeerInterested && p.Host != host);

    private static int SlotsHeld(IReadOnlyList<PeerSession> peers) => peers.Count(p => !p.AmChoking && p.PeerInterested);

    private static int HostSlots(IReadOnlyList<PeerSession> peers, NetworkHost host) =>
        peers.Count(p => !p.AmChoking && p.PeerInterested && p.Host == host);

    /// <summary>Forgets a peer that disconnected, so its optimistic slot goes to another.</summary>
    public void Remove(PeerSession peer)
    {
        Debug.Assert(sessionLock.IsHeldByCurrentThread, "the choke round runs under the session's lock");
        if (_optimistic == peer)
        {
            _optimistic = null;
        }
    }

    /// <summary>When a round is due, decides it and adds the choke and unchoke messages it calls for to <paramref name="actions"/>.</summary>
    public void Tick(IReadOnlyList<PeerSession> peers, bool seeding, long now, List<(PeerSession Peer, PeerAction Action)> actions)
    {
        Debug.Assert(sessionLock.IsHeldByCurrentThread, "the choke round runs under the session's lock");
        if (time.GetElapsedTime(_lastChoke, now) < options.ChokeInterval)
        {
            return;
        }

        _lastChoke = now;
        var rotate = time.GetElapsedTime(_lastOptimistic, now) >= options.OptimisticUnchokeInterval;
        if (rotate)
        {
            _lastOptimistic = now;
        }

        if (peers.Count == 0)
        {
            // What the choker decides for no peer, without its lists and sets: a seed with no peer ticks on for hours.
            _optimistic = null;
            return;
        }

        var candidates = peers
            .Select(p => new ChokeCandidate<PeerSession>(p, p.PeerInterested, p.Download.Rate, p.Upload.Rate) { Host = p.Host })
            .ToList();
        var unchoke = Choker.Decide(candidates, seeding, ref _optimistic, rotate, draw);
        foreach (var peer in peers)
        {
            var shouldChoke = !unchoke.Contains(peer);
            if (shouldChoke != peer.AmChoking)
            {
                peer.AmChoking = shouldChoke;
                actions.Add((peer, PeerAction.Send(shouldChoke ? PeerMessageType.Choke : PeerMessageType.Unchoke)));
            }
        }
    }
}
