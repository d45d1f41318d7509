using System.Diagnostics;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.PeerWire;
using SmartShare.BitTorrent.Storage;

namespace SmartShare.BitTorrent.Engine;

/// <summary>
/// Serves a torrent's verified pieces: checks each request, queues it on the peer (at most
/// <see cref="TorrentSessionOptions.MaxPeerRequestQueue"/>), and sends the blocks from the verified-piece cache in each
/// peer's upload loop, honouring cancels, chokes (rejecting under the fast extension) and the upload limiter. Reads
/// the peers' choke and cancel state and the picker's verified pieces under the session's lock.
/// </summary>
internal sealed class PieceUploader(
    Lock sessionLock,
    TimeProvider time,
    TorrentSessionOptions options,
    TorrentInfo info,
    VerifiedPieceCache cache,
    RateMeter upload,
    Func<PiecePicker?> pickerUnderLock,
    Action<int> pieceLost)
{
    private const int MaxRequestLength = 128 * 1024;

    /// <summary>A peer's request: invalid ones drop it, ones we cannot serve are rejected, the rest are queued.</summary>
    public bool Request(PeerSession peer, in PeerMessage message, out PeerAction action)
    {
        action = default;
        var request = new BlockRequest(message.Index, message.Begin, message.Length);
        if (request.Index >= info.PieceCount || request.Length <= 0 || request.Length > MaxRequestLength
            || (long)request.Begin + request.Length > info.GetPieceSize(request.Index))
        {
            action = PeerAction.Drop($"it requested an invalid block (piece {request.Index}, offset {request.Begin}, length {request.Length})");
            return false;
        }

        lock (sessionLock)
        {
            if (peer.AmChoking || !pickerUnderLock()!.Have[request.Index])
            {
                if (peer.SupportsFast)
                {
                    action = PeerAction.Reject(request);
                }

                return true;
            }

            peer.Cancelled.Remove(request.Key);
        }

        if (Interlocked.Increment(ref peer.QueuedUploads) > options.MaxPeerRequestQueue)
        {
            action = PeerAction.Drop($"it queued more than {options.MaxPeerRequestQueue} requests");
            return false;
        }

        peer.Uploads.Writer.TryWrite(request);
        return true;
    }

    /// <summary>Under the session's lock: a peer's cancel; its upload loop skips the request if still queued.</summary>
    public void Cancel(PeerSession peer, in PeerMessage message)
    {
        Debug.Assert(sessionLock.IsHeldByCurrentThread, "a peer's cancels are guarded by the session's lock");
        peer.Cancelled.Add(new BlockRequest(message.Index, message.Begin, message.Length).Key);
    }

    /// <summary>Sends the peer the blocks it queued, until its queue completes or its connection ends.</summary>
    public async Task RunAsync(PeerSession peer)
    {
        await foreach (var request in peer.Uploads.Reader.ReadAllAsync(peer.Token).ConfigureAwait(false))
        {
            Interlocked.Decrement(ref peer.QueuedUploads);
            bool choked;
            lock (sessionLock)
            {
                if (peer.Cancelled.Remove(request.Key))
                {
                    continue;
                }

                choked = peer.AmChoking;
            }

            if (choked)
            {
                // BEP 6: with the fast extension a choke does not cancel requests; each one queued must be rejected.
                if (peer.SupportsFast)
                {
                    await peer.Connection.SendBlockRequestAsync(PeerMessageType.Reject, request.Index, request.Begin, request.Length, peer.Token).ConfigureAwait(false);
                }

                continue;
            }

            using var lease = await cache.GetAsync(request.Index, peer.Token).ConfigureAwait(false);
            if (lease is null)
            {
                pieceLost(request.Index);
                if (peer.SupportsFast)
                {
                    await peer.Connection.SendBlockRequestAsync(PeerMessageType.Reject, request.Index, request.Begin, request.Length, peer.Token).ConfigureAwait(false);
                }

                continue;
            }

            if (options.UploadLimiter is { } limiter)
            {
                await limiter.WaitAsync(request.Length, peer.Token).ConfigureAwait(false);
            }

            await peer.Connection.SendPieceAsync(request.Index, request.Begin, request.Length, lease.Data.Slice(request.Begin, request.Length), peer.Token).ConfigureAwait(false);
            peer.LastSend = time.GetTimestamp();
            peer.Upload.Add(request.Length);
            upload.Add(request.Length);
        }
    }
}
