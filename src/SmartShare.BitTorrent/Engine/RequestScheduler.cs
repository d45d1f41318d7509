using System.Diagnostics;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.PeerWire;

namespace SmartShare.BitTorrent.Engine;

/// <summary>
/// Request pipelining: keeps each unchoked peer's pipeline of block requests as deep as its rate calls for (within
/// its reqq and <see cref="TorrentSessionOptions.MaxOutstandingRequests"/>, one request while snubbed), says interest,
/// and gives a peer's outstanding requests back to the <see cref="PiecePicker"/>; asks only while the session's mode
/// requests pieces and the pieces waiting for the disk are under their bound (<paramref name="writesBehind"/>; the
/// session tops every peer up again when they fall back under it). Runs under the session's lock.
/// </summary>
internal sealed class RequestScheduler(
    Lock sessionLock,
    TimeProvider time,
    TorrentSessionOptions options,
    TorrentInfo info,
    Func<PiecePicker?> pickerUnderLock,
    Func<bool> requestsPieces,
    Func<bool>? writesBehind = null)
{
    /// <summary>Under the session's lock: every request outstanding to the peer goes back to the picker.</summary>
    public void GiveBack(PeerSession peer)
    {
        foreach (var key in peer.Outstanding)
        {
            pickerUnderLock()!.Unrequest(BlockOf(key));
        }

        peer.Outstanding.Clear();
    }

    /// <summary>The block a request key names.</summary>
    public BlockRequest BlockOf(long key)
    {
        var index = (int)(key >> 32);
        var begin = (int)(key & 0xFFFFFFFF);
        return new BlockRequest(index, begin, Math.Min(BlockRequest.BlockSize, info.GetPieceSize(index) - begin));
    }

    /// <summary>Under the session's lock: says interested if the peer has pieces we want, then tops up its requests.</summary>
    public PeerAction InterestAndTopUp(PeerSession peer, bool maybeInterested)
    {
        var action = default(PeerAction);
        if (!peer.AmInterested && maybeInterested && pickerUnderLock()!.Wants(peer.Has))
        {
            peer.AmInterested = true;
            action = PeerAction.Send(PeerMessageType.Interested);
        }

        var requests = TopUp(peer);
        return action.With(requests);
    }

    /// <summary>Under the session's lock: each peer's top-up that asks for something.</summary>
    public List<(PeerSession Peer, PeerAction Action)> TopUpAll(IEnumerable<PeerSession> peers)
    {
        var actions = new List<(PeerSession, PeerAction)>();
        foreach (var peer in peers)
        {
            var action = TopUp(peer);
            if (!action.IsEmpty)
            {
                actions.Add((peer, action));
            }
        }

        return actions;
    }

    /// <summary>Under the session's lock: asks the picker for enough blocks to keep the peer's pipeline full.</summary>
    public PeerAction TopUp(PeerSession peer)
    {
        Debug.Assert(sessionLock.IsHeldByCurrentThread, "the pipelines are guarded by the session's lock");
        if (peer.PeerChoking || !peer.AmInterested || pickerUnderLock() is not { } picker || !requestsPieces() || writesBehind?.Invoke() == true)
        {
            return default;
        }

        // The peer's reqq caps everything, even the initial burst (a small reqq must not make the bounds cross).
        var most = Math.Max(1, Math.Min(options.MaxOutstandingRequests, peer.RemoteRequestQueue));
        var target = (int)Math.Clamp(
            peer.Download.Rate * options.RequestAheadSeconds / BlockRequest.BlockSize,
            Math.Min(options.InitialOutstandingRequests, most),
            most);
        if (peer.Snubbed)
        {
            target = 1;
        }

        var room = target - peer.Outstanding.Count;
        if (room <= 0 || (room < Math.Min(16, target / 4) && peer.Outstanding.Count > 0))
        {
            return default;
        }

        var picked = new List<BlockRequest>(room);
        picker.Pick(peer.Has, room, peer.Outstanding, picked);
        if (picked.Count == 0)
        {
            return default;
        }

        if (peer.Outstanding.Count == 0)
        {
            peer.LastBlock = time.GetTimestamp();
        }

        foreach (var request in picked)
        {
            peer.Outstanding.Add(request.Key);
        }

        return PeerAction.Request(picked);
    }
}
