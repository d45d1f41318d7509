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
/// <remarks>
/// The session wires rooms that share its lock and clock (see docs/architecture.md, "The torrent session's rooms")
/// and holds the current <see cref="TorrentMode"/>, which decides what the session does; every state change goes
/// through <see cref="SwitchMode"/>.
/// </remarks>
public sealed partial class TorrentSession : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly TorrentSessionOptions _options;
    private readonly IRandomSource _random;
    private readonly TimeProvider _time;
    private readonly List<PeerSession> _peers = [];
    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private readonly VerifiedPieceCache _cache;
    private readonly ProgressReporter _progress;
    private readonly SessionTrackers _trackers;
    private readonly PeerDialer _dialer;
    private readonly PieceVerifier _verifier;
    private readonly PeerReadLoop _readLoop;
    private readonly SessionTicker _ticker;
    private readonly StreamWaiters _streams;
    private readonly ResumeRecorder _resume;
    private readonly PieceOutcomes _outcomes;
    private readonly DhtPortExchange _dhtPort;
    private readonly SemaphoreSlim _selectionGate = new(1, 1);
    private FileSelection _selection;
    private PiecePicker? _picker;
    private volatile TorrentMode _mode;

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
        _time = time ?? TimeProvider.System;
        PeerId = peerId;
        var info = torrent.Info;
        _selection = _options.Files is { } files && files.Priorities.Count == info.Files.Count ? files : FileSelection.All(info.Files.Count);
        _cache = new VerifiedPieceCache(storage);
        _progress = new ProgressReporter(_lock, _time, info, _peers, () => _picker);
        _trackers = new SessionTrackers(_time, torrent, peerId, _options, _random, trackerClients, _progress, peers => AddPeers(peers), Log);
        _mode = new CheckingMode(storage, _progress.CheckProgress, Log);

        // The rooms, each sharing the session's lock and clock. The dialer runs the connections it makes through the
        // read loop, which is built last as it needs the other rooms.
        _dialer = new PeerDialer(
            _lock,
            _time,
            _options,
            _stop,
            peerId,
            _peers,
            mayDialUnderLock: () => _picker is not null,
            seedingUnderLock: () => _picker?.Have.IsComplete == true,
            Handshake,
            c => _readLoop!.RunAsync(c),
            Log);
        _streams = new StreamWaiters(_lock, info.PieceLength, () => _picker);
        _resume = new ResumeRecorder(_lock, _time, resume, torrent.InfoHash, storage, _options, () => _picker?.Have, Log);
        var outcomes = _outcomes = new PieceOutcomes(
            _lock, _options, _peers, () => _picker, _resume, _streams, _dialer, storage.FilesOf,
            allVerified: () => _ = Task.Run(FinishDownloadAsync),
            lostWhileComplete: () => SwitchMode(new DownloadingMode(), onlyFrom: m => m.IsComplete),
            Fail,
            Log);
        var uploader = new PieceUploader(_lock, _time, _options, info, _cache, _progress.Upload, () => _picker, outcomes.PieceLost);
        RequestScheduler? requests = null;
        _verifier = new PieceVerifier(
            info, storage, outcomes.PieceDone, outcomes.PieceFailedHash, outcomes.PieceWriteFailed, _options.MaxUnwrittenBytes, () => TopUpAll(requests!));
        var verifier = _verifier;
        requests = new RequestScheduler(_lock, _time, _options, info, () => _picker, () => _mode.RequestsPieces, () => verifier.IsBehind);
        var chokeRound = new ChokeRound(_lock, _time, _options, Draw);
        var metadata = new MetadataServer(_lock, torrent.RawInfo);
        var pex = new PexExchange(_lock, _time, _options, enabled: !info.IsPrivate, _peers, _dialer.IsCandidate, peers => AddPeers(peers), Log);
        _dhtPort = new DhtPortExchange(_lock, _options, info.IsPrivate);
        var dispatcher = new PeerMessageDispatcher(
            _lock, _time, _options, info, _peers, () => _picker, () => _mode, requests, uploader, chokeRound, _dialer, _verifier,
            _progress.Download, metadata, pex, _dhtPort);
        var ticker = new SessionTicker(_lock, _time, _options, _peers, () => _picker, requests, chokeRound, pex, _resume, _dialer, () => _mode, Draw, Log);
        _ticker = ticker;
        _dialer.RedialScheduledUnderLock = ticker.RedialScheduledUnderLock;
        _readLoop = new PeerReadLoop(
            _lock, _time, _options, info, _stop, _peers, () => _picker, dispatcher, requests, uploader, chokeRound, _dialer,
            metadata, pex, _dhtPort, ticker.PeerJoinedUnderLock, Log);
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

    public TorrentState State => _mode.State;

    /// <summary>Why the session ended, when a storage error ended it (what <see cref="Progress"/> shows as its error).</summary>
    public string? Error => _mode.Error;

    /// <summary>Payload bytes sent in this session (<see cref="Progress"/>'s counter, without building a snapshot).</summary>
    public long Uploaded => _progress.Upload.Total;

    /// <summary>Completes when every piece is verified and written (or at once for a complete torrent).</summary>
    public Task Completed => _completed.Task;

    /// <summary>Raised (on a worker) when the state changes, e.g. to Seeding or Stopped with an error.</summary>
    public event Action<TorrentSession>? StateChanged;

    public TorrentProgress Progress
    {
        get
        {
            var mode = _mode;
            var snapshot = _progress.Snapshot(mode.State, mode.Error, _trackers.LastError);
            lock (_lock)
            {
                return _outcomes.PiecesLost == 0 ? snapshot : snapshot with { PiecesLost = _outcomes.PiecesLost, Note = _outcomes.LostNote };
            }
        }
    }

    /// <summary>Connected peers' addresses.</summary>
    public IReadOnlyList<IPEndPoint> ConnectedPeers => _progress.ConnectedPeers();

    /// <summary>The torrent's trackers and how each last answered (empty when it has none or announces to none).</summary>
    public IReadOnlyList<TrackerStatus> Trackers => _trackers.Trackers;

    /// <summary>When the trackers are next asked, or null when not announcing.</summary>
    public DateTimeOffset? NextTrackerAnnounce => _trackers.NextAnnounce;

    /// <summary>Connected peers with their client, rates and progress.</summary>
    public IReadOnlyList<TorrentPeerInfo> PeerDetails => _progress.PeerDetails();

    /// <summary>Bytes of wanted pieces still missing that a connected peer has.</summary>
    public long DesiredAvailableBytes => _progress.DesiredAvailable();

    /// <summary>Which files are wanted and how much, sequential and first/last-piece order.</summary>
    public FileSelection Selection => _selection;

    /// <summary>The current mode's name (for tests and logs).</summary>
    internal string ModeName => _mode.Name;

    /// <summary>
    /// Checks pieces an earlier run recorded, then starts connecting, transferring and announcing.
    /// <paramref name="verified"/> skips the check for pieces the caller has just hashed itself (a new share).
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken, Bitfield? verified = null)
    {
        var mode = _mode;
        ObjectDisposedException.ThrowIf(mode is StoppedMode, this);
        var checking = mode as CheckingMode ?? throw new InvalidOperationException("The session has already started.");
        var info = Torrent.Info;
        var recorded = verified is null ? _resume.Load(info.PieceCount, info.Files.Count) : null;
        Bitfield have;
        bool done;
        await _selectionGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Where each file's bytes are (its file or the side file) is settled before the check reads them.
            var selection = _selection;
            await Storage.SelectFilesAsync(Wanted(selection), () => recorded?.Pieces, TorrentStorage.SideFileName(InfoHash), cancellationToken).ConfigureAwait(false);
            var check = await checking.CheckAsync(info.PieceCount, verified, recorded, cancellationToken).ConfigureAwait(false);
            have = check.Have;

            // A new share, a record without stamps (or with stale ones) is recorded again with the stamps just taken.
            _resume.SetDirtyBeforeStart(_resume.StartFrom(check.Stamps, recorded) && (verified is not null || recorded is not null));
            lock (_lock)
            {
                _picker = new PiecePicker(info, have, _random) { Sequential = _options.Sequential || selection.Sequential };
                _picker.SetPriorities(PiecePriorities.Compute(info, selection));
                done = _picker.IsDone;
                if (recorded is not null && have.Count != recorded.Pieces.Count)
                {
                    _resume.MarkDirty();
                }
            }
        }
        finally
        {
            _selectionGate.Release();
        }

        // Complete (every wanted piece): the files take their final names (those of a download killed just before
        // doing so too); else they download under their incomplete names.
        if (done)
        {
            await Storage.EnsureFilesAsync(cancellationToken).ConfigureAwait(false);
            Storage.TakeFinalNames(have.IsComplete ? null : have.Clone());
            SwitchMode(Seeding());
        }
        else
        {
            Storage.BeginIncomplete(have);
            SwitchMode(new DownloadingMode());
        }

        // Files in place: reads that came before the start (a player right after `get`) go on.
        _streams.Started();

        var token = _stop.Token;
        _loops.Add(Task.Run(() => _ticker.RunAsync(token), CancellationToken.None));
        for (var i = 0; i < Math.Min(2, Environment.ProcessorCount); i++)
        {
            _loops.Add(Task.Run(() => _verifier.RunAsync(token), CancellationToken.None));
        }

        _loops.Add(Task.Run(() => _resume.RunAsync(token), CancellationToken.None));
        _trackers.Start();
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
        if (!_mode.AcceptsPeers || !_dialer.Admit(connection.RemoteEndPoint.Address, connection.Remote.PeerId, incoming: true))
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            return;
        }

        // The admission holds a place until the peer's run has started (it adds the peer before its first await).
        Task run;
        try
        {
            try
            {
                await connection.AcceptAsync(Handshake(), _stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is PeerConnectionException or OperationCanceledException or IOException or SocketException)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                return;
            }

            run = _readLoop.RunAsync(connection);
        }
        finally
        {
            _dialer.Joined(connection.Remote.PeerId);
        }

        await run.ConfigureAwait(false);
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
        await _trackers.StopAsync().ConfigureAwait(false);
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
        SwitchMode(new StoppedMode());
        _selectionGate.Dispose();
        _completed.TrySetCanceled();
        _stop.Dispose();
    }

    /// <summary>
    /// The one way the session changes mode: unless the current mode refuses (or <paramref name="onlyFrom"/> does not
    /// hold for it), the modes swap under the lock, the old one is left, <see cref="StateChanged"/> is raised, then
    /// the new one is entered. Returns whether the mode changed.
    /// </summary>
    private bool SwitchMode(TorrentMode next, Func<TorrentMode, bool>? onlyFrom = null)
    {
        TorrentMode previous;
        lock (_lock)
        {
            previous = _mode;
            if (!previous.CanSwitchTo(next) || (onlyFrom is not null && !onlyFrom(previous)))
            {
                return false;
            }

            _mode = next;
        }

        previous.Leave(next);
        StateChanged?.Invoke(this);
        next.Enter(previous);
        return true;
    }

    private SeedingMode Seeding() => new(_lock, _peers, _trackers, _completed, () => HaveNow()?.IsComplete == true, Log);

    private Bitfield? HaveNow()
    {
        lock (_lock)
        {
            return _picker?.Have.Clone();
        }
    }

    // The last piece verified: make the files whole and durable, give them their final names, record it, then seed.
    private async Task FinishDownloadAsync()
    {
        if (_mode.IsComplete)
        {
            return; // a piece outside the selection (a stream's) verified after the download was done
        }

        try
        {
            Storage.Flush();
            await Storage.EnsureFilesAsync(_stop.Token).ConfigureAwait(false);
            var have = HaveNow();
            Storage.TakeFinalNames(have is { IsComplete: false } ? have : null);
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
        SwitchMode(Seeding());
    }

    private void Fail(string error)
    {
        Log(error);
        SwitchMode(new ErrorMode(error));
        _ = Task.Run(async () => await DisposeAsync().ConfigureAwait(false));
    }

    private Handshake Handshake() =>
        new(InfoHash, PeerId, PeerCapabilities.ExtensionProtocol | PeerCapabilities.Fast | (_dhtPort.Enabled ? PeerCapabilities.Dht : PeerCapabilities.None));

    private int Draw(int below)
    {
        Span<byte> bytes = stackalloc byte[4];
        _random.Fill(bytes);
        return (int)(BitConverter.ToUInt32(bytes) % (uint)below);
    }

    // The pieces waiting for the disk fell back under their bound: every peer's pipeline is filled again at once
    // (the blocks still arriving would do it too, but the last of them may have come while requests were held).
    private void TopUpAll(RequestScheduler requests)
    {
        List<(PeerSession Peer, PeerAction Action)> actions;
        lock (_lock)
        {
            actions = requests.TopUpAll(_peers);
        }

        foreach (var (peer, action) in actions)
        {
            _ = peer.SendQuietlyAsync(_ => action.RunAsync(peer));
        }
    }

    /// <summary>The hash and write queue (tests look at its bound).</summary>
    internal PieceVerifier Verifier => _verifier;

    private void Log(string message) => _options.Log?.Invoke($"{InfoHash.ToString()[..8]}: {message}");
}
