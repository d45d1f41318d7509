using System.Diagnostics;
using System.Net;
using SmartShare.BitTorrent.PeerWire;
using SmartShare.BitTorrent.PeerWire.Transport;
using SmartShare.Networking;

namespace SmartShare.BitTorrent.Engine;

/// <summary>
/// Finds a torrent its connections: keeps the candidate addresses (from trackers, the user, peer exchange), dials
/// them within <see cref="TorrentSessionOptions.MaxPeers"/> and <see cref="TorrentSessionOptions.MaxConnectingPeers"/>,
/// backs off from addresses that fail, skips known seeds once we are one, and holds the banned addresses. Decides
/// which of two connections to one peer stays. Shares the session's lock (which guards the session's peer list and
/// all its own state), clock and stop signal. The magnet metadata phase (<see cref="MetadataFetcher"/>) dials
/// through one too: "session" below is whichever hosts it.
/// </summary>
internal sealed class PeerDialer
{
    private const int MaxCandidates = 2000;

    // How far the redial back-off grows: 30 min for an address that never answered, but a peer we were once connected
    // to is dialed at least every minute, so a swarm of one seeder reconnects soon after a network partition heals.
    private static readonly TimeSpan MaxRedialBackOff = TimeSpan.FromMinutes(30);
    private static readonly TimeSpan MaxRedialBackOffOfKnownPeer = TimeSpan.FromMinutes(1);

    private readonly Lock _lock;
    private readonly TimeProvider _time;
    private readonly TorrentSessionOptions _options;
    private readonly CancellationTokenSource _stop;
    private readonly PeerId _ourId;
    private readonly List<PeerSession> _peers;

    // Connections admitted whose admission has not ended yet (their peer joins _peers when its run starts, after the
    // handshake's answer): counted, so a host that connects again at once cannot slip past its share meanwhile. A
    // peer already in _peers whose admission has not ended is counted once, as the admission.
    private readonly List<(NetworkHost Host, PeerId Id)> _admitting = [];
    private readonly Func<bool> _mayDial;
    private readonly Func<bool> _seeding;
    private readonly Func<Handshake> _handshake;
    private readonly Func<PeerConnection, Task> _runPeer;
    private readonly Action<string> _log;
    private readonly Dictionary<IPEndPoint, Candidate> _candidates = [];
    private readonly HashSet<IPAddress> _banned = [];
    private readonly HashSet<IPEndPoint> _bannedEndPoints = [];
    private int _connecting;

    /// <param name="sessionLock">The host's lock.</param>
    /// <param name="time">The host's clock.</param>
    /// <param name="options">Peer limits, redial delay, connection options and transport.</param>
    /// <param name="stop">The host's stop signal: no dials start once it is cancelled.</param>
    /// <param name="ourId">Our peer id, which settles which of two connections to one peer stays.</param>
    /// <param name="peers">The host's connected peers, read under the lock.</param>
    /// <param name="mayDialUnderLock">Whether dialing may start (read under the lock; a session once started, a fetcher once fetching).</param>
    /// <param name="seedingUnderLock">Whether we are a seed, so known seeds are not dialed (read under the lock).</param>
    /// <param name="handshake">The handshake to send when dialing.</param>
    /// <param name="runPeer">Runs an admitted connection until it closes.</param>
    /// <param name="log">The host's log.</param>
    public PeerDialer(
        Lock sessionLock,
        TimeProvider time,
        TorrentSessionOptions options,
        CancellationTokenSource stop,
        PeerId ourId,
        List<PeerSession> peers,
        Func<bool> mayDialUnderLock,
        Func<bool> seedingUnderLock,
        Func<Handshake> handshake,
        Func<PeerConnection, Task> runPeer,
        Action<string> log)
    {
        _lock = sessionLock;
        _time = time;
        _options = options;
        _stop = stop;
        _ourId = ourId;
        _peers = peers;
        _mayDial = mayDialUnderLock;
        _seeding = seedingUnderLock;
        _handshake = handshake;
        _runPeer = runPeer;
        _log = log;
    }

    /// <summary>
    /// Adds addresses to dial. <paramref name="retryNow"/> (peers the user named) clears the back-off of addresses
    /// already known, so asking again dials again at once. The caller then calls <see cref="ConnectMore"/>.
    /// </summary>
    public void Add(IEnumerable<IPEndPoint> peers, bool retryNow)
    {
        lock (_lock)
        {
            foreach (var peer in peers)
            {
                if (peer.Port is <= 0 or > 65535)
                {
                    continue;
                }

                if (_candidates.TryGetValue(peer, out var known))
                {
                    if (retryNow)
                    {
                        known.NextAttempt = 0;
                        known.Failures = 0;
                        known.Seed = false;
                        known.Retired = false;
                    }
                }
                else if (_candidates.Count < MaxCandidates || retryNow)
                {
                    _candidates.Add(peer, new Candidate());
                }
            }
        }
    }

    /// <summary>Under the session's lock: whether the address is already a candidate.</summary>
    public bool IsCandidate(IPEndPoint endPoint)
    {
        Debug.Assert(_lock.IsHeldByCurrentThread, "the candidates are guarded by the session's lock");
        return _candidates.ContainsKey(endPoint);
    }

    /// <summary>Under the session's lock: the address is a seed, not worth dialing while we are one too.</summary>
    public void MarkSeed(IPEndPoint endPoint)
    {
        Debug.Assert(_lock.IsHeldByCurrentThread, "the candidates are guarded by the session's lock");
        if (_candidates.TryGetValue(endPoint, out var candidate))
        {
            candidate.Seed = true;
        }
    }

    /// <summary>
    /// Under the session's lock: the address is not dialed again unless named again with retryNow (a peer that
    /// cannot help with what we dial for, yet stays a known peer).
    /// </summary>
    public void Retire(IPEndPoint endPoint)
    {
        Debug.Assert(_lock.IsHeldByCurrentThread, "the candidates are guarded by the session's lock");
        if (_candidates.TryGetValue(endPoint, out var candidate))
        {
            candidate.Retired = true;
        }
    }

    /// <summary>Under the session's lock: no connection from or to this address is admitted any more.</summary>
    public void Ban(IPAddress address)
    {
        Debug.Assert(_lock.IsHeldByCurrentThread, "the bans are guarded by the session's lock");
        _banned.Add(address);
    }

    /// <summary>
    /// Under the session's lock: this address and port only is dialed no more (where a peer behind a shared address,
    /// a NAT, should not take its neighbours down with it).
    /// </summary>
    public void Ban(IPEndPoint endPoint)
    {
        Debug.Assert(_lock.IsHeldByCurrentThread, "the bans are guarded by the session's lock");
        _bannedEndPoints.Add(endPoint);
    }

    /// <summary>
    /// Called under the session's lock with the delay of each redial the dialer schedules (after a failed dial or a
    /// closed connection), so a ticker that sleeps long (an idle seed) can wake when it is due.
    /// </summary>
    public Action<TimeSpan>? RedialScheduledUnderLock { get; set; }

    /// <summary>
    /// Under the session's lock: how long until the soonest redial the next <see cref="ConnectMore"/> would make; null
    /// when none is waiting on its back-off (candidates due already are dialed by the next call, or wait for room).
    /// </summary>
    public TimeSpan? UntilNextRedialUnderLock()
    {
        Debug.Assert(_lock.IsHeldByCurrentThread, "the candidates are guarded by the session's lock");
        var now = _time.GetTimestamp();
        var seeding = _seeding();
        long? soonest = null;
        foreach (var (endPoint, candidate) in _candidates)
        {
            if (candidate.Connected || candidate.Self || candidate.Retired || candidate.NextAttempt <= now || _banned.Contains(endPoint.Address)
                || _bannedEndPoints.Contains(endPoint) || (candidate.Seed && seeding))
            {
                continue;
            }

            soonest = soonest is { } known ? Math.Min(known, candidate.NextAttempt) : candidate.NextAttempt;
        }

        return soonest is { } due ? TimeSpan.FromSeconds((double)(due - now) / _time.TimestampFrequency) : null;
    }

    /// <summary>Under the session's lock: every candidate address not banned.</summary>
    public List<IPEndPoint> Candidates()
    {
        Debug.Assert(_lock.IsHeldByCurrentThread, "the candidates are guarded by the session's lock");
        return [.. _candidates.Keys.Where(e => !_banned.Contains(e.Address) && !_bannedEndPoints.Contains(e))];
    }

    /// <summary>
    /// Whether a connection that completed its handshake may join: not banned, room left, and not a second connection
    /// to a peer unless it is the one to keep (then the other is closed).
    /// </summary>
    public bool Admit(IPAddress address, PeerId id, bool incoming)
    {
        PeerSession? loser;
        lock (_lock)
        {
            if (_stop.IsCancellationRequested || _banned.Contains(address))
            {
                return false;
            }

            var existing = _peers.Find(p => p.Id == id);
            var host = NetworkHost.Of(address);
            if (existing is null)
            {
                var (all, fromHost) = CountUnderLock(host);
                if (all >= _options.MaxPeers || fromHost >= _options.MaxPeersPerHost)
                {
                    return false;
                }

                _admitting.Add((host, id));
                return true;
            }

            // Two connections to one peer: both sides dialed at once, which PEX makes common (each learns the other
            // in the same round). Refusing every second connection would let each side close the one the other kept,
            // so both keep the connection dialed by the side with the lower peer id, and the other one is closed.
            var ourIdIsLower = _ourId.ToArray().AsSpan().SequenceCompareTo(id.ToArray()) < 0;
            var newWins = !incoming == ourIdIsLower;
            if (!newWins || existing.Connection.IsIncoming == incoming)
            {
                return false;
            }

            loser = existing;
            _admitting.Add((host, id));
        }

        _log($"{loser} is also connected the other way; keeping the connection dialed by the lower peer id");
        loser.Close();
        return true;
    }

    /// <summary>
    /// A connection <see cref="Admit"/> let in has joined the peers (its run started) or failed before it could: its
    /// reservation ends. Call once for each admission, right after starting the peer's run.
    /// </summary>
    public void Joined(PeerId id)
    {
        lock (_lock)
        {
            var index = _admitting.FindIndex(a => a.Id == id);
            if (index >= 0)
            {
                _admitting.RemoveAt(index);
            }
        }
    }

    // Connections in all and from one host, each once: an admitted peer may be in _peers before its admission ends.
    private (int All, int FromHost) CountUnderLock(NetworkHost host)
    {
        var all = _admitting.Count;
        var fromHost = 0;
        foreach (var admitting in _admitting)
        {
            fromHost += admitting.Host == host ? 1 : 0;
        }

        foreach (var peer in _peers)
        {
            if (_admitting.Exists(a => a.Id == peer.Id))
            {
                continue;
            }

            all++;
            fromHost += peer.Host == host ? 1 : 0;
        }

        return (all, fromHost);
    }

    /// <summary>Dials as many candidates as there is room for (call without holding the session's lock).</summary>
    public void ConnectMore()
    {
        var now = _time.GetTimestamp();
        var toDial = new List<IPEndPoint>();
        lock (_lock)
        {
            if (_stop.IsCancellationRequested || !_mayDial())
            {
                return;
            }

            var seeding = _seeding();

            var room = Math.Min(_options.MaxPeers - _peers.Count - _connecting, _options.MaxConnectingPeers - _connecting);
            foreach (var (endPoint, candidate) in _candidates)
            {
                if (room <= 0)
                {
                    break;
                }

                if (candidate.Connected || candidate.Self || candidate.Retired || candidate.NextAttempt > now || _banned.Contains(endPoint.Address)
                    || _bannedEndPoints.Contains(endPoint) || (candidate.Seed && seeding))
                {
                    continue;
                }

                candidate.Connected = true;
                _connecting++;
                room--;
                toDial.Add(endPoint);
            }
        }

        foreach (var endPoint in toDial)
        {
            _ = Task.Run(() => DialAsync(endPoint));
        }
    }

    private async Task DialAsync(IPEndPoint endPoint)
    {
        PeerConnection? connection = null;
        try
        {
            var options = _options.Connection.WithTime(_time);
            connection = await PeerConnection.ConnectAsync(_options.Transport ?? TcpPeerTransport.For(options), endPoint, _handshake(), options, _stop.Token)
                .ConfigureAwait(false);
        }
        catch (PeerConnectionException e)
        {
            lock (_lock)
            {
                _connecting--;
                if (_candidates.TryGetValue(endPoint, out var candidate))
                {
                    candidate.Connected = false;
                    candidate.Self = e.Kind == PeerConnectionErrorKind.SelfConnection;
                    candidate.Failures++;
                    var delay = RedialBackOff(_options.RedialDelay, candidate.Failures, candidate.WasConnected);
                    candidate.NextAttempt = _time.GetTimestamp() + (long)(delay.TotalSeconds * _time.TimestampFrequency);
                    RedialScheduledUnderLock?.Invoke(delay);
                }
            }

            _log($"could not connect to {endPoint}: {e.Message}");
            return;
        }
        catch (OperationCanceledException)
        {
            lock (_lock)
            {
                _connecting--;
            }

            return;
        }

        lock (_lock)
        {
            _connecting--;
            if (_candidates.TryGetValue(endPoint, out var candidate))
            {
                candidate.Failures = 0;
                candidate.WasConnected = true;
            }
        }

        if (!Admit(endPoint.Address, connection.Remote.PeerId, incoming: false))
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            Release(endPoint);
            return;
        }

        // The run adds the peer before its first await, so the admission's reservation ends once it has started.
        Task run;
        try
        {
            run = _runPeer(connection);
        }
        finally
        {
            Joined(connection.Remote.PeerId);
        }

        await run.ConfigureAwait(false);
        Release(endPoint);
    }

    // After a connection ends: the address may be dialed again after the redial delay.
    private void Release(IPEndPoint endPoint)
    {
        lock (_lock)
        {
            if (_candidates.TryGetValue(endPoint, out var candidate))
            {
                candidate.Connected = false;
                candidate.NextAttempt = _time.GetTimestamp() + (long)(_options.RedialDelay.TotalSeconds * _time.TimestampFrequency);
                RedialScheduledUnderLock?.Invoke(_options.RedialDelay);
            }
        }
    }

    /// <summary>
    /// How long to wait before dialing an address again after <paramref name="failures"/> failed dials in a row: the
    /// redial delay doubling, at most 30 minutes, or 1 minute (at least the redial delay) for a peer we were connected to.
    /// </summary>
    internal static TimeSpan RedialBackOff(TimeSpan redialDelay, int failures, bool wasConnected)
    {
        var delay = redialDelay * Math.Pow(2, Math.Clamp(failures - 1, 0, 7));
        var most = wasConnected ? (redialDelay > MaxRedialBackOffOfKnownPeer ? redialDelay : MaxRedialBackOffOfKnownPeer) : MaxRedialBackOff;
        return delay < most ? delay : most;
    }

    private sealed class Candidate
    {
        public bool Connected { get; set; }

        public bool Self { get; set; }

        public bool Seed { get; set; }

        public bool Retired { get; set; }

        public int Failures { get; set; }

        /// <summary>A handshake with this address completed once: it is a real peer, worth dialing again soon.</summary>
        public bool WasConnected { get; set; }

        public long NextAttempt { get; set; }
    }
}
