using System.Net.Sockets;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.PeerWire;

namespace SmartShare.BitTorrent.Engine;

/// <summary>
/// One connected peer's life in the session: adds it to the peer list, greets it (extension handshake, our pieces,
/// the DHT port), starts its upload loop, reads its messages one by one through the
/// <see cref="PeerMessageDispatcher"/> and carries out the sends each calls for; when the connection ends, gives its
/// requests back, forgets its pieces and dials a replacement. Shares the session's lock, clock and stop signal.
/// </summary>
internal sealed class PeerReadLoop(
    Lock sessionLock,
    TimeProvider time,
    TorrentSessionOptions options,
    TorrentInfo info,
    CancellationTokenSource stop,
    List<PeerSession> peers,
    Func<PiecePicker?> pickerUnderLock,
    PeerMessageDispatcher dispatcher,
    RequestScheduler requests,
    PieceUploader uploader,
    ChokeRound chokeRound,
    PeerDialer dialer,
    MetadataServer metadata,
    PexExchange pex,
    DhtPortExchange dhtPort,
    Action peerJoinedUnderLock,
    Action<string> log)
{
    private readonly Lock _lock = sessionLock;
    private readonly TimeProvider _time = time;
    private readonly TorrentSessionOptions _options = options;
    private readonly TorrentInfo _info = info;
    private readonly CancellationTokenSource _stop = stop;
    private readonly List<PeerSession> _peers = peers;
    private readonly PeerMessageDispatcher _dispatcher = dispatcher;
    private readonly RequestScheduler _requests = requests;
    private readonly PieceUploader _uploader = uploader;
    private readonly ChokeRound _chokeRound = chokeRound;
    private readonly PeerDialer _dialer = dialer;
    private readonly MetadataServer _metadata = metadata;
    private readonly PexExchange _pex = pex;
    private readonly DhtPortExchange _dhtPort = dhtPort;

    private PiecePicker? Picker => pickerUnderLock();

    /// <summary>Runs a connection that completed its handshake until it closes, then forgets the peer.</summary>
    public async Task RunAsync(PeerConnection connection)
    {
        var peer = new PeerSession(connection, _info.PieceCount, _time, _stop.Token);
        var bitfieldBytes = Bitfield.ByteLengthFor(_info.PieceCount) + 1;
        if (connection.MaxMessageLength < bitfieldBytes)
        {
            connection.MaxMessageLength = bitfieldBytes;
        }

        lock (_lock)
        {
            _peers.Add(peer);
            peerJoinedUnderLock();
        }

        log($"connected to {peer}");
        Task? uploader = null;
        string reason = "closed";
        try
        {
            await SendGreetingAsync(peer).ConfigureAwait(false);
            uploader = Task.Run(() => _uploader.RunAsync(peer));
            while (true)
            {
                var message = await connection.ReadAsync(peer.Token).ConfigureAwait(false);
                var pieceBytes = message.Type == PeerMessageType.Piece ? message.Length : 0;
                var more = _dispatcher.Handle(peer, message, out var action);
                if (!more)
                {
                    reason = action.Reason ?? "protocol violation";
                    break;
                }

                await action.RunAsync(peer).ConfigureAwait(false);
                if (pieceBytes > 0 && _options.DownloadLimiter is { } limiter)
                {
                    // Not reading on until the block's bytes are allowed is what holds the peer to the limit.
                    await limiter.WaitAsync(pieceBytes, peer.Token).ConfigureAwait(false);
                }
            }
        }
        catch (PeerConnectionException e)
        {
            reason = e.Message;
        }
        catch (OperationCanceledException)
        {
            reason = "closed";
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            reason = e.Message;
        }
        finally
        {
            peer.Close();
            peer.Uploads.Writer.TryComplete();
            await connection.DisposeAsync().ConfigureAwait(false);
            if (uploader is not null)
            {
                try
                {
                    await uploader.ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationCanceledException or PeerConnectionException or IOException or SocketException or ObjectDisposedException)
                {
                }
            }

            RemovePeer(peer);
            peer.DisposeToken();
            log($"disconnected from {peer}: {reason}");
        }
    }

    private void RemovePeer(PeerSession peer)
    {
        PeerSession? next;
        lock (_lock)
        {
            if (!_peers.Remove(peer))
            {
                return;
            }

            _chokeRound.Remove(peer);
            if (Picker is not null)
            {
                Picker!.RemovePeer(peer.Has);
                _requests.GiveBack(peer);
            }

            next = peer.PeerInterested && !peer.AmChoking ? _chokeRound.FillFreedSlot(_peers) : null;
        }

        if (next is not null)
        {
            _ = next.SendQuietlyAsync(c => c.SendAsync(PeerMessageType.Unchoke, next.Token));
        }

        _ = Task.Run(_dialer.ConnectMore);
    }

    private async Task SendGreetingAsync(PeerSession peer)
    {
        byte[]? bits = null;
        PeerMessageType? summary = null;
        lock (_lock)
        {
            var have = Picker!.Have;
            if (peer.SupportsFast && have.IsComplete)
            {
                summary = PeerMessageType.HaveAll;
            }
            else if (have.IsEmpty)
            {
                summary = peer.SupportsFast ? PeerMessageType.HaveNone : null;
            }
            else
            {
                bits = have.Bytes.ToArray();
            }
        }

        if (peer.SupportsExtensions)
        {
            // ut_metadata (BEP 9) lets magnet-link peers fetch the info dictionary; libtorrent insists on metadata_size.
            var messages = new Dictionary<string, byte>(StringComparer.Ordinal) { [MetadataMessage.ExtensionName] = MetadataServer.LocalId };
            if (_pex.Enabled)
            {
                messages[PexMessage.ExtensionName] = PexExchange.LocalId;
            }

            var handshake = new ExtensionHandshake(
                messages,
                MetadataSize: _metadata.MetadataSize,
                Client: "SmartShare 0.1",
                RequestQueue: Math.Min(_options.AdvertisedRequestQueue, _options.MaxPeerRequestQueue),
                ListenPort: _options.ListenPort is > 0 and <= 65535 ? (ushort)_options.ListenPort : null,
                YourIp: ExtensionHandshake.Seen(peer.EndPoint));
            await peer.Connection.SendExtendedAsync(0, handshake.Encode(), peer.Token).ConfigureAwait(false);
        }

        if (bits is not null)
        {
            await peer.Connection.SendBitfieldAsync(bits, peer.Token).ConfigureAwait(false);
        }
        else if (summary is { } type)
        {
            await peer.Connection.SendAsync(type, peer.Token).ConfigureAwait(false);
        }

        await _dhtPort.AnnounceAsync(peer).ConfigureAwait(false);

        peer.LastSend = _time.GetTimestamp();
    }
}
