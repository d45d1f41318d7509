using System.Buffers;
using System.Net;
using System.Net.Sockets;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.PeerWire;
using SmartShare.BitTorrent.Storage;
using SmartShare.BitTorrent.Trackers;

namespace SmartShare.BitTorrent.Engine;

/// <summary>
/// Downloads and seeds one torrent: finds peers (trackers, given addresses, incoming connections), keeps up to
/// <see cref="TorrentSessionOptions.MaxPeers"/> connections, asks them for blocks through the <see cref="PiecePicker"/>,
/// assembles each piece in memory, checks its SHA-1 on a worker (never on a connection's read loop) and only then
/// writes it to the files, serves verified pieces to others under tit-for-tat choking, and records verified pieces so
/// a restart resumes.
/// </summary>
public sealed class TorrentSession : IAsyncDisposable
{

    private readonly Lock _lock = new();
    private readonly TorrentSessionOptions _options;
    private readonly IRandomSource _random;
    private readonly TimeProvider _time;
    private readonly Func<Uri, ITrackerClient>? _trackerClients;
    private readonly List<PeerSession> _peers = [];
    private readonly StreamWaiters _streams;
    private readonly PieceVerifier _verifier;
    private readonly ResumeRecorder _resume;
    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly RateMeter _download;
    private readonly RateMeter _upload;
    private readonly List<Task> _loops = [];
    private readonly VerifiedPieceCache _cache;
    private PiecePicker? _picker;
    private TrackerAnnouncer? _announcer;
    private readonly PeerDialer _dialer;
    private readonly ChokeRound _chokeRound;
    private readonly RequestScheduler _requests;
    private readonly PieceUploader _uploader;
    private readonly MetadataServer _metadata;
    private readonly PexExchange _pex;
    private readonly DhtPortExchange _dhtPort;
    private int _checked;
    private volatile TorrentState _state = TorrentState.Checking;
    private string? _error;

    public TorrentSession(
        Torrent torrent,
        TorrentStorage storage,
        ResumeStore? resume,
        PeerId peerId,
        TorrentSessionOptions options,
        IRandomSource random,
        Func<Uri, ITrackerClient>? trackerClients = null,
        TimeProvider? time = null)
    {
        Torrent = torrent ?? throw new ArgumentNullException(nameof(torrent));
        Storage = storage ?? throw new ArgumentNullException(nameof(storage));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _random = random ?? throw new ArgumentNullException(nameof(random));
        _trackerClients = trackerClients;
        _time = time ?? TimeProvider.System;
        _download = new RateMeter(time: _time);
        _upload = new RateMeter(time: _time);
        PeerId = peerId;
        _cache = new VerifiedPieceCache(storage);
        _dialer = new PeerDialer(_lock, _time, _options, _stop, peerId, _peers, () => _picker, Handshake, RunPeerAsync, Log);
        _uploader = new PieceUploader(_lock, _time, _options, torrent.Info, _cache, _upload, () => _picker, PieceLost);
        _verifier = new PieceVerifier(torrent.Info, storage, PieceDone, PieceFailedHash, PieceWriteFailed);
        _requests = new RequestScheduler(_lock, _time, _options, torrent.Info, () => _picker, () => _state);
        _chokeRound = new ChokeRound(_lock, _time, _options, Draw);
        _streams = new StreamWaiters(_lock, torrent.Info.PieceLength, () => _picker);
        _metadata = new MetadataServer(_lock, torrent.RawInfo);
        _pex = new PexExchange(_lock, _time, _options, enabled: !torrent.Info.IsPrivate, _peers, _dialer.IsCandidate, peers => AddPeers(peers), Log);
        _dhtPort = new DhtPortExchange(_lock, _options, torrent.Info.IsPrivate);
        _resume = new ResumeRecorder(_lock, _time, resume, torrent.InfoHash, storage, _options, () => _picker?.Have, Log);
    }

    public Torrent Torrent { get; }

    public InfoHash InfoHash => Torrent.InfoHash;

    public TorrentStorage Storage { get; }

    public PeerId PeerId { get; }

    /// <summary>
    /// The info dictionary's <c>private=1</c> (BEP 27): peers come only from the torrent's trackers, so this torrent
    /// uses neither peer exchange nor the DHT.
    /// </summary>
    public bool IsPrivate => Torrent.Info.IsPrivate;

    private bool DhtEnabled => _dhtPort.Enabled;

    public TorrentState State => _state;

    /// <summary>Completes when every piece is verified and written (or at once for a complete torrent).</summary>
    public Task Completed => _completed.Task;

    /// <summary>Raised (on a worker) when the state changes, e.g. to Seeding or Stopped with an error.</summary>
    public event Action<TorrentSession>? StateChanged;

    public TorrentProgress Progress
    {
        get
        {
            lock (_lock)
            {
                var info = Torrent.Info;
                var have = _picker?.Have;
                var havePieces = have?.Count ?? _checked;
                var verified = have is null ? 0 : VerifiedBytes(have);
                return new TorrentProgress(
                    _state,
                    info.TotalLength,
                    verified,
                    havePieces,
                    info.PieceCount,
                    _download.Total,
                    _upload.Total,
                    _download.Rate,
                    _upload.Rate,
                    _peers.Count,
                    _peers.Count(p => p.Has.IsComplete),
                    _error,
                    _announcer?.LastError);
            }
        }
    }

    /// <summary>Connected peers' addresses.</summary>
    public IReadOnlyList<IPEndPoint> ConnectedPeers
    {
        get
        {
            lock (_lock)
            {
                return [.. _peers.Select(p => p.EndPoint)];
            }
        }
    }

    /// <summary>
    /// Checks pieces an earlier run recorded, then starts connecting, transferring and announcing.
    /// <paramref name="verified"/> skips the check for pieces the caller has just hashed itself (a new share).
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken, Bitfield? verified = null)
    {
        var info = Torrent.Info;
        var have = verified?.Clone() ?? new Bitfield(info.PieceCount);
        var recorded = verified is null ? _resume.Load(info.PieceCount) : null;
        _resume.SetDirtyBeforeStart(verified is not null);
        if (recorded is { IsEmpty: false })
        {
            // A piece recorded but changed on disk since must be fetched again: check them all before trusting them.
            Log($"checking {recorded.Count} recorded pieces");
            var progress = new Progress<int>(n => Volatile.Write(ref _checked, n));
            have = await Storage.RecheckAsync(recorded.SetIndexes(), progress, cancellationToken).ConfigureAwait(false);
            if (have.Count != recorded.Count)
            {
                Log($"{recorded.Count - have.Count} recorded pieces no longer match on disk and will be fetched again");
            }
        }

        lock (_lock)
        {
            _picker = new PiecePicker(info, have, _random) { Sequential = _options.Sequential };
            if (recorded is not null && have.Count != recorded.Count)
            {
                _resume.MarkDirty();
            }
        }

        if (have.IsComplete)
        {
            await Storage.EnsureFilesAsync(cancellationToken).ConfigureAwait(false);
            SetState(TorrentState.Seeding);
            _completed.TrySetResult();
        }
        else
        {
            SetState(TorrentState.Downloading);
        }

        var token = _stop.Token;
        _loops.Add(Task.Run(() => TickLoopAsync(token), CancellationToken.None));
        for (var i = 0; i < Math.Min(2, Environment.ProcessorCount); i++)
        {
            _loops.Add(Task.Run(() => _verifier.RunAsync(token), CancellationToken.None));
        }

        _loops.Add(Task.Run(() => _resume.RunAsync(token), CancellationToken.None));

        StartTrackers();
    }

    /// <summary>
    /// Addresses to dial (from trackers, the user, or peer exchange). <paramref name="retryNow"/> (peers the user
    /// named) clears the back-off of addresses already known, so asking again dials again at once.
    /// </summary>
    public void AddPeers(IEnumerable<IPEndPoint> peers, bool retryNow = false)
    {
        ArgumentNullException.ThrowIfNull(peers);
        _dialer.Add(peers, retryNow);
        _ = Task.Run(_dialer.ConnectMore);
    }

    /// <summary>An incoming connection whose handshake named this torrent: answer and run it.</summary>
    public async Task AcceptAsync(PeerConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (!_dialer.Admit(connection.RemoteEndPoint.Address, connection.Remote.PeerId, incoming: true))
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            return;
        }

        try
        {
            await connection.AcceptAsync(Handshake(), _stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is PeerConnectionException or OperationCanceledException or IOException or SocketException)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            return;
        }

        await RunPeerAsync(connection).ConfigureAwait(false);
    }

    /// <summary>
    /// Waits until the bytes [offset, offset + length) are verified on disk, fetching their pieces before all
    /// others meanwhile (a streaming read).
    /// </summary>
    public Task WaitForRangeAsync(long offset, long length, CancellationToken cancellationToken) =>
        _streams.WaitForRangeAsync(offset, length, cancellationToken);

    /// <summary>Whether the bytes of that range are verified on disk.</summary>
    public bool HasRange(long offset, long length) => _streams.HasRange(offset, length);

    /// <summary>Stops transfers, tells trackers, records what is verified, closes every connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _verifier.Complete();
        if (_announcer is not null)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _announcer.StopAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or TrackerException)
            {
            }

            await _announcer.DisposeAsync().ConfigureAwait(false);
        }

        PeerSession[] peers;
        lock (_lock)
        {
            peers = [.. _peers];
        }

        foreach (var peer in peers)
        {
            peer.Close();
            await peer.Connection.DisposeAsync().ConfigureAwait(false);
        }

        try
        {
            await Task.WhenAll(_loops).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        lock (_lock)
        {
            _picker?.ReleaseAll();
            _streams.CancelAll();
        }

        _resume.Save(force: true);
        try
        {
            Storage.Flush();
        }
        catch (TorrentStorageException e)
        {
            Log(e.Message);
        }

        _cache.Dispose();
        if (_state != TorrentState.Stopped)
        {
            SetState(TorrentState.Stopped);
        }

        _completed.TrySetCanceled();
        _stop.Dispose();
    }

    private Handshake Handshake() =>
        new(InfoHash, PeerId, PeerCapabilities.ExtensionProtocol | PeerCapabilities.Fast | (DhtEnabled ? PeerCapabilities.Dht : PeerCapabilities.None));

    private void StartTrackers()
    {
        if (_trackerClients is null)
        {
            return;
        }

        var tiers = TrackerTiers.FromTorrent(Torrent.Announce, Torrent.AnnounceList);
        if (tiers.Count == 0)
        {
            return;
        }

        _announcer = new TrackerAnnouncer(
            new TrackerTiers(tiers, _random),
            _trackerClients,
            AnnounceRequest,
            peers => AddPeers(peers),
            _time,
            Log);
        _announcer.Start();
    }

    private AnnounceRequest AnnounceRequest(TrackerEvent trackerEvent)
    {
        long left;
        lock (_lock)
        {
            left = Torrent.Info.TotalLength - (_picker is null ? 0 : VerifiedBytes(_picker.Have));
        }

        return new AnnounceRequest(
            InfoHash, PeerId.ToArray(), _options.ListenPort, _upload.Total, _download.Total, left, trackerEvent);
    }

    private long VerifiedBytes(Bitfield have)
    {
        var info = Torrent.Info;
        var bytes = (long)have.Count * info.PieceLength;
        var last = info.PieceCount - 1;
        if (last >= 0 && have[last])
        {
            bytes -= info.PieceLength - info.GetPieceSize(last);
        }

        return bytes;
    }

    private async Task RunPeerAsync(PeerConnection connection)
    {
        var peer = new PeerSession(connection, Torrent.Info.PieceCount, _time, _stop.Token);
        var bitfieldBytes = Bitfield.ByteLengthFor(Torrent.Info.PieceCount) + 1;
        if (connection.MaxMessageLength < bitfieldBytes)
        {
            connection.MaxMessageLength = bitfieldBytes;
        }

        lock (_lock)
        {
            _peers.Add(peer);
        }

        Log($"connected to {peer}");
        Task? uploader = null;
        string reason = "closed";
        try
        {
            await SendGreetingAsync(peer).ConfigureAwait(false);
            uploader = Task.Run(() => _uploader.RunAsync(peer));
            while (true)
            {
                var message = await connection.ReadAsync(peer.Token).ConfigureAwait(false);
                var more = HandleMessage(peer, message, out var action);
                if (!more)
                {
                    reason = action.Reason ?? "protocol violation";
                    break;
                }

                await action.RunAsync(peer).ConfigureAwait(false);
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
            Log($"disconnected from {peer}: {reason}");
        }
    }

    private void RemovePeer(PeerSession peer)
    {
        lock (_lock)
        {
            if (!_peers.Remove(peer))
            {
                return;
            }

            _chokeRound.Remove(peer);
            if (_picker is not null)
            {
                _picker.RemovePeer(peer.Has);
                _requests.GiveBack(peer);
            }
        }

        _ = Task.Run(_dialer.ConnectMore);
    }

    private async Task SendGreetingAsync(PeerSession peer)
    {
        byte[]? bits = null;
        PeerMessageType? summary = null;
        lock (_lock)
        {
            var have = _picker!.Have;
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
                YourIp: null);
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

    // Handles one message synchronously (the payload is only valid until the next read) and returns the sends it
    // calls for, which the read loop then awaits. False means: drop the peer (action.Reason says why).
    private bool HandleMessage(PeerSession peer, in PeerMessage message, out PeerAction action)
    {
        action = default;
        var info = Torrent.Info;
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
                lock (_lock)
                {
                    peer.PeerInterested = false;
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
                        _picker!.AddPeerPiece(message.Index);
                    }

                    action = _requests.InterestAndTopUp(peer, maybeInterested: !_picker!.Have[message.Index]);
                    return !BothSeeds(peer, ref action);
                }

            case PeerMessageType.Bitfield:
            case PeerMessageType.HaveAll:
            case PeerMessageType.HaveNone:
                return HandleHaves(peer, message, out action);

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
                        _picker!.Unrequest(_requests.BlockOf(key));
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
        var info = Torrent.Info;
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
                        _picker!.AddPeerPiece(index);
                        wanted |= !_picker.Have[index];
                    }
                }

                action = _requests.InterestAndTopUp(peer, maybeInterested: wanted);
                return !BothSeeds(peer, ref action);
            }

            peer.AnnouncedPieces = true;
            peer.Has = has;
            _picker!.AddPeer(has);
            action = _requests.InterestAndTopUp(peer, maybeInterested: true);
            return !BothSeeds(peer, ref action);
        }
    }

    // Under the lock: a seed connected to a seed has nothing to do.
    private bool BothSeeds(PeerSession peer, ref PeerAction action)
    {
        if (peer.Has.IsComplete && _picker!.Have.IsComplete)
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
            partial = _picker?.BeginBlock(message.Index, message.Begin, length);
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
            complete = _picker!.BlockWritten(partial, message.Begin, peer);
            if (_picker.InEndgame)
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
                _ = SendQuietlyAsync(other, c => c.SendBlockRequestAsync(PeerMessageType.Cancel, block.Index, block.Begin, block.Length, other.Token));
            }
        }

        return true;
    }

    // A verified piece no longer matches on disk (damaged after it was written): fetch it again.
    private void PieceLost(int piece)
    {
        lock (_lock)
        {
            if (_picker is null || !_picker.Have[piece])
            {
                return;
            }

            _picker.PieceLost(piece);
            _resume.MarkDirty();
        }

        _resume.Signal();

        Log($"piece {piece} no longer matches its hash on disk; it will be downloaded again");
        if (_state == TorrentState.Seeding)
        {
            SetState(TorrentState.Downloading);
        }
    }

    // A piece could not be written: the torrent stops with the storage's error.
    private void PieceWriteFailed(int index, TorrentStorageException e)
    {
        lock (_lock)
        {
            _picker?.PieceFailed(index);
        }

        Fail(e.Message);
    }

    private void PieceDone(PartialPiece partial)
    {
        var index = partial.Index;
        partial.ReleaseBuffer();
        List<PeerSession> tell;
        List<TaskCompletionSource>? waiters;
        bool complete;
        lock (_lock)
        {
            _picker!.PieceVerified(index);
            _resume.MarkDirty();
            _resume.Signal();
            complete = _picker.Have.IsComplete;
            tell = _peers.Where(p => !p.Has[index]).ToList();
            waiters = _streams.TakeVerified(index, _picker);
        }

        StreamWaiters.Release(waiters);

        foreach (var peer in tell)
        {
            _ = SendQuietlyAsync(peer, c => c.SendIndexAsync(PeerMessageType.Have, index, peer.Token));
        }

        if (complete)
        {
            _ = Task.Run(OnCompleteAsync);
        }
    }

    private void PieceFailedHash(PartialPiece partial)
    {
        var senders = partial.Senders.OfType<PeerSession>().ToList();
        partial.ReleaseBuffer();
        var toBan = new List<PeerSession>();
        lock (_lock)
        {
            _picker!.PieceFailed(partial.Index);
            foreach (var sender in senders)
            {
                // A peer that sent the whole piece alone is surely to blame (two strikes); a shared piece gives each
                // sender one, so an honest peer sharing pieces with a liar is not banned as fast as the liar.
                sender.HashFailures += senders.Count == 1 ? 2 : 1;
                if (sender.HashFailures >= 2 * _options.HashFailuresBeforeBan)
                {
                    _dialer.Ban(sender.EndPoint.Address);
                    toBan.Add(sender);
                }
            }
        }

        Log($"piece {partial.Index} failed its hash check (data from {string.Join(", ", senders)}); fetching it again");
        foreach (var peer in toBan)
        {
            Log($"banned {peer}: it sent data failing the hash check {peer.HashFailures} times");
            peer.Close();
        }
    }

    private async Task OnCompleteAsync()
    {
        try
        {
            Storage.Flush();
            await Storage.EnsureFilesAsync(_stop.Token).ConfigureAwait(false);
        }
        catch (TorrentStorageException e)
        {
            Fail(e.Message);
            return;
        }
        catch (OperationCanceledException)
        {
            return;
        }

        _resume.Save(force: true);
        SetState(TorrentState.Seeding);
        _announcer?.AnnounceNow(TrackerEvent.Completed);
        Log("download complete; seeding");
        List<PeerSession> seeds;
        lock (_lock)
        {
            seeds = _peers.Where(p => p.Has.IsComplete).ToList();
            foreach (var peer in _peers)
            {
                peer.AmInterested = false;
            }
        }

        foreach (var seed in seeds)
        {
            seed.Close();
        }

        _completed.TrySetResult();
    }

    private void Fail(string error)
    {
        lock (_lock)
        {
            _error = error;
        }

        Log(error);
        SetState(TorrentState.Stopped);
        _ = Task.Run(async () => await DisposeAsync().ConfigureAwait(false));
    }

    private void SetState(TorrentState state)
    {
        _state = state;
        StateChanged?.Invoke(this);
    }

    private async Task TickLoopAsync(CancellationToken token)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), _time);
        try
        {
            while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
            {
                Tick();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Tick()
    {
        var now = _time.GetTimestamp();
        var actions = new List<(PeerSession Peer, PeerAction Action)>();
        var keepAlive = new List<PeerSession>();
        lock (_lock)
        {
            foreach (var peer in _peers)
            {
                if (peer.Outstanding.Count > 0 && Elapsed(peer.LastBlock, now) > _options.SnubTimeout && !peer.Snubbed)
                {
                    peer.Snubbed = true;
                    _requests.GiveBack(peer);
                    Log($"{peer} sent nothing for {_options.SnubTimeout.TotalSeconds:0} s; its requests go to other peers");
                }

                if (peer.AmInterested && _picker is not null && !_picker.Wants(peer.Has))
                {
                    peer.AmInterested = false;
                    actions.Add((peer, PeerAction.Send(PeerMessageType.NotInterested)));
                }
                else
                {
                    var topUp = _requests.InterestAndTopUp(peer, maybeInterested: !peer.AmInterested);
                    if (!topUp.IsEmpty)
                    {
                        actions.Add((peer, topUp));
                    }
                }

                if (Elapsed(peer.LastSend, now) > _options.KeepAliveInterval)
                {
                    keepAlive.Add(peer);
                }
            }

            _pex.Tick(now, actions);
            _chokeRound.Tick(_peers, seeding: _picker?.Have.IsComplete ?? false, now, actions);
        }

        foreach (var (peer, action) in actions)
        {
            _ = SendQuietlyAsync(peer, _ => action.RunAsync(peer));
        }

        foreach (var peer in keepAlive)
        {
            _ = SendQuietlyAsync(peer, c => c.SendAsync(PeerMessageType.KeepAlive, peer.Token));
        }

        _resume.Save(force: false);
        _dialer.ConnectMore();
    }

    private int Draw(int below)
    {
        Span<byte> bytes = stackalloc byte[4];
        _random.Fill(bytes);
        return (int)(BitConverter.ToUInt32(bytes) % (uint)below);
    }

    private async Task SendQuietlyAsync(PeerSession peer, Func<PeerConnection, ValueTask> send)
    {
        try
        {
            await send(peer.Connection).ConfigureAwait(false);
            peer.LastSend = _time.GetTimestamp();
        }
        catch (Exception e) when (e is PeerConnectionException or OperationCanceledException or IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            peer.Close();
        }
    }

    private TimeSpan Elapsed(long from, long to) => _time.GetElapsedTime(from, to);

    private void Log(string message) => _options.Log?.Invoke($"{InfoHash.ToString()[..8]}: {message}");
}
