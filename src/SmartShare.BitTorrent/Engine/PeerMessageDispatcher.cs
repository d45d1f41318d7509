using System.Buffers;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.PeerWire;

namespace SmartShare.BitTorrent.Engine;

/// <summary>
/// Acts on each message a peer sends: its choke and interest flags, the pieces it announces (have, bitfield, the
/// fast extension's have-all and have-none), blocks it sends us (assembled into pieces and queued for the
/// <see cref="PieceVerifier"/>, cancelling endgame duplicates), and hands requests, cancels and the extensions
/// (ut_metadata, ut_pex, the DHT port) to their rooms. Decides under the session's lock and returns the sends as a
/// <see cref="PeerAction"/> for the read loop to carry out after releasing it.
/// </summary>
internal sealed class PeerMessageDispatcher(
    Lock sessionLock,
    TimeProvider time,
    TorrentSessionOptions options,
    TorrentInfo info,
    List<PeerSession> peers,
    Func<PiecePicker?> pickerUnderLock,
    Func<TorrentMode> mode,
    RequestScheduler requests,
    PieceUploader uploader,
    ChokeRound chokeRound,
    PeerDialer dialer,
    PieceVerifier verifier,
    RateMeter download,
    MetadataServer metadata,
    PexExchange pex,
    DhtPortExchange dhtPort)
{
    private readonly Lock _lock = sessionLock;
    private readonly TimeProvider _time = time;
    private readonly TorrentSessionOptions _options = options;
    private readonly TorrentInfo _info = info;
    private readonly List<PeerSession> _peers = peers;
    private readonly Func<TorrentMode> _mode = mode;
    private readonly RequestScheduler _requests = requests;
    private readonly PieceUploader _uploader = uploader;
    private readonly ChokeRound _chokeRound = chokeRound;
    private readonly PeerDialer _dialer = dialer;
    private readonly PieceVerifier _verifier = verifier;
    private readonly RateMeter _download = download;
    private readonly MetadataServer _metadata = metadata;
    private readonly PexExchange _pex = pex;
    private readonly DhtPortExchange _dhtPort = dhtPort;

    private PiecePicker? Picker => pickerUnderLock();

    /// <summary>
    /// Handles one message synchronously (the payload is only valid until the next read) and returns the sends it
    /// calls for, which the read loop then awaits. False means: drop the peer (<c>action.Reason</c> says why).
    /// </summary>
    public bool Handle(PeerSession peer, in PeerMessage message, out PeerAction action)
    {
        action = default;
        var info = _info;
        switch (message.Type)
        {
            case PeerMessageType.Piece:
                return HandleBlock(peer, message, out action);

            case PeerMessageType.Choke:
                lock (_lock)
                {
                    peer.PeerChoking = true;
                    if (!peer.SupportsFast)
                    {
                        _requests.GiveBack(peer);
                    }
                }

                return true;

            case PeerMessageType.Unchoke:
                lock (_lock)
                {
                    peer.PeerChoking = false;
                    peer.LastBlock = _time.GetTimestamp();
                    action = _requests.TopUp(peer);
                }

                return true;

            case PeerMessageType.Interested:
                lock (_lock)
                {
                    peer.PeerInterested = true;
                    if (_chokeRound.TryUnchokeNow(peer, _peers))
                    {
                        action = PeerAction.Send(PeerMessageType.Unchoke);
                    }
                }

                return true;

            case PeerMessageType.NotInterested:
                PeerSession? next;
                lock (_lock)
                {
                    var heldSlot = peer.PeerInterested && !peer.AmChoking;
                    peer.PeerInterested = false;
                    next = heldSlot ? _chokeRound.FillFreedSlot(_peers) : null;
                }

                if (next is not null)
                {
                    _ = next.SendQuietlyAsync(c => c.SendAsync(PeerMessageType.Unchoke, next.Token));
                }

                return true;

            case PeerMessageType.Have:
                if (message.Index >= info.PieceCount)
                {
                    action = PeerAction.Drop($"it announced piece {message.Index} of {info.PieceCount}");
                    return false;
                }

                lock (_lock)
                {
                    peer.AnnouncedPieces = true;
                    if (!peer.Has[message.Index])
                    {
                        peer.Has[message.Index] = true;
                        Picker!.AddPeerPiece(message.Index);
                    }

                    action = _requests.InterestAndTopUp(peer, maybeInterested: !Picker!.Have[message.Index]);
                    return !BothSeeds(peer, ref action);
                }

            case PeerMessageType.Bitfield:
            case PeerMessageType.HaveAll:
            case PeerMessageType.HaveNone:
                return HandleHaves(peer, message, out action);

            case PeerMessageType.Request when !_mode().AcceptsUploads:
                // Stopping: the request is not served (the connection closes shortly).
                return true;

            case PeerMessageType.Request:
                return _uploader.Request(peer, message, out action);

            case PeerMessageType.Cancel:
                lock (_lock)
                {
                    _uploader.Cancel(peer, message);
                }

                return true;

            case PeerMessageType.Reject:
                lock (_lock)
                {
                    var key = new BlockRequest(message.Index, message.Begin, message.Length).Key;
                    if (peer.Outstanding.Remove(key))
                    {
                        Picker!.Unrequest(_requests.BlockOf(key));
                    }
                }

                return true;

            case PeerMessageType.Extended when message.ExtendedId == 0:
                try
                {
                    var extensions = ExtensionHandshake.Decode(message.Payload);
                    lock (_lock)
                    {
                        peer.Extensions = extensions;
                        if (extensions.RequestQueue is > 0 and var queue)
                        {
                            peer.RemoteRequestQueue = Math.Min(queue, _options.MaxOutstandingRequests);
                        }
                    }
                }
                catch (PeerWireFormatException e)
                {
                    action = PeerAction.Drop(e.Message);
                    return false;
                }

                ReportYourIp(_options, peer);
                return true;

            case PeerMessageType.Extended when message.ExtendedId == MetadataServer.LocalId:
                return _metadata.Handle(peer, message, out action);

            case PeerMessageType.Extended when message.ExtendedId == PexExchange.LocalId:
                return _pex.Receive(peer, message, out action);

            case PeerMessageType.Port:
                _dhtPort.Receive(peer, message.Port);
                return true;

            default:
                // Keep-alive, suggest, allowed fast, unknown extensions: nothing to do.
                return true;
        }
    }

    private bool HandleHaves(PeerSession peer, in PeerMessage message, out PeerAction action)
    {
        action = default;
        var info = _info;
        if (message.Type != PeerMessageType.Bitfield && !peer.SupportsFast)
        {
            action = PeerAction.Drop("it sent a fast-extension message without offering the extension");
            return false;
        }

        Bitfield has;
        if (message.Type == PeerMessageType.Bitfield)
        {
            // Bitfield copies the bytes itself; a payload split across buffers is joined first.
            var payload = message.Payload;
            var bytes = payload.IsSingleSegment ? payload.FirstSpan : payload.ToArray();
            if (!Bitfield.TryFromWire(bytes, info.PieceCount, out has))
            {
                action = PeerAction.Drop($"its bitfield of {payload.Length} bytes does not fit {info.PieceCount} pieces");
                return false;
            }
        }
        else
        {
            has = new Bitfield(info.PieceCount);
            if (message.Type == PeerMessageType.HaveAll)
            {
                has.SetAll();
            }
        }

        lock (_lock)
        {
            if (peer.AnnouncedPieces)
            {
                // aria2 sends a bitfield (or have-all) later in a connection in place of many haves: take its new
                // pieces as haves. Only have-none cannot follow other announcements.
                if (message.Type == PeerMessageType.HaveNone)
                {
                    action = PeerAction.Drop("it sent have-none after other piece announcements");
                    return false;
                }

                var wanted = false;
                foreach (var index in has.SetIndexes())
                {
                    if (!peer.Has[index])
                    {
                        peer.Has[index] = true;
                        Picker!.AddPeerPiece(index);
                        wanted |= !Picker!.Have[index];
                    }
                }

                action = _requests.InterestAndTopUp(peer, maybeInterested: wanted);
                return !BothSeeds(peer, ref action);
            }

            peer.AnnouncedPieces = true;
            peer.Has = has;
            Picker!.AddPeer(has);
            action = _requests.InterestAndTopUp(peer, maybeInterested: true);
            return !BothSeeds(peer, ref action);
        }
    }

    // Under the lock: a seed connected to a seed has nothing to do.
    private bool BothSeeds(PeerSession peer, ref PeerAction action)
    {
        if (peer.Has.IsComplete && Picker!.Have.IsComplete)
        {
            action = PeerAction.Drop("both sides are seeds");
            _dialer.MarkSeed(peer.EndPoint);

            return true;
        }

        return false;
    }

    private bool HandleBlock(PeerSession peer, in PeerMessage message, out PeerAction action)
    {
        action = default;
        var length = (int)message.Payload.Length;
        var key = new BlockRequest(message.Index, message.Begin, length).Key;
        PartialPiece? partial;
        lock (_lock)
        {
            peer.Outstanding.Remove(key);
            peer.LastBlock = _time.GetTimestamp();
            peer.Snubbed = false;
            partial = Picker?.BeginBlock(message.Index, message.Begin, length);
        }

        peer.Download.Add(length);
        _download.Add(length);
        if (partial is null)
        {
            // Not wanted (a duplicate from endgame, a piece already done, or never asked): harmless.
            lock (_lock)
            {
                action = _requests.TopUp(peer);
            }

            return true;
        }

        message.Payload.CopyTo(partial.Buffer.Span[message.Begin..]);
        List<(PeerSession Peer, BlockRequest Block)>? cancels = null;
        bool complete;
        lock (_lock)
        {
            complete = Picker!.BlockWritten(partial, message.Begin, peer);
            if (Picker!.InEndgame)
            {
                foreach (var other in _peers)
                {
                    if (other != peer && other.Outstanding.Remove(key))
                    {
                        (cancels ??= []).Add((other, _requests.BlockOf(key)));
                    }
                }
            }

            action = _requests.TopUp(peer);
        }

        if (complete)
        {
            _verifier.Enqueue(partial);
        }

        if (cancels is not null)
        {
            foreach (var (other, block) in cancels)
            {
                _ = other.SendQuietlyAsync(c => c.SendBlockRequestAsync(PeerMessageType.Cancel, block.Index, block.Begin, block.Length, other.Token));
            }
        }

        return true;
    }

    /// <summary>Hands the peer's <c>yourip</c> (the address it sees us at) to <see cref="TorrentSessionOptions.OnExternalAddress"/>.</summary>
    internal static void ReportYourIp(TorrentSessionOptions options, PeerSession peer)
    {
        if (options.OnExternalAddress is { } report && peer.Extensions?.YourIp is { } seen)
        {
            var reporter = peer.EndPoint.Address;
            report(seen.IsIPv4MappedToIPv6 ? seen.MapToIPv4() : seen, reporter.IsIPv4MappedToIPv6 ? reporter.MapToIPv4() : reporter);
        }
    }
}
