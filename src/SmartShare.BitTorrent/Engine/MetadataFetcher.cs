using System.Net;
using System.Net.Sockets;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.PeerWire;
using SmartShare.BitTorrent.PeerWire.Transport;
using SmartShare.Threading;

namespace SmartShare.BitTorrent.Engine;

/// <summary>
/// Fetches a torrent's info dictionary from peers by ut_metadata (BEP 9), for a torrent known only by its info hash
/// (a magnet link). Peers come from <see cref="AddPeers"/> at any time (x.pe, trackers, the DHT) and from ut_pex
/// messages the peers send meanwhile. A thin host of the rooms a torrent session runs with too: a
/// <see cref="PeerDialer"/> (up to <see cref="MaxConnections"/> peers, redial back-off, bans), a
/// <see cref="PexExchange"/> and a <see cref="DhtPortExchange"/>; what to ask whom and what to make of the answers
/// is the <see cref="MetadataRequester"/>'s.
/// </summary>
/// <remarks>Usage: <c>await using var f = new MetadataFetcher(hash, peerId, port); f.AddPeers(magnet.Peers); var info = await f.FetchAsync(ct);</c>
/// then <see cref="TorrentMetadata.ToTorrentFile"/> for the .torrent bytes.</remarks>
public sealed class MetadataFetcher : IAsyncDisposable
{
    private const int MaxLearnedPeers = 500;

    private readonly Lock _lock = new();
    private readonly InfoHash _infoHash;
    private readonly PeerId _peerId;
    private readonly TimeProvider _time;
    private readonly TorrentSessionOptions _options;
    private readonly List<PeerSession> _peers = [];
    private readonly List<IPEndPoint> _learned = [];
    private readonly List<Task> _tasks = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly PeerDialer _dialer;
    private readonly MetadataRequester _requester;
    private readonly PexExchange _pex;
    private readonly DhtPortExchange _dhtPort;
    private bool _running;

    /// <param name="time">The clock of the request timeouts and of the connections' own; default the system clock.</param>
    public MetadataFetcher(
        InfoHash infoHash, PeerId peerId, int listenPort, PeerConnectionOptions? connection = null, Action<string>? log = null, TimeProvider? time = null)
    {
        _infoHash = infoHash;
        _peerId = peerId;
        _time = time ?? TimeProvider.System;
        _options = new TorrentSessionOptions
        {
            MaxPeers = 8,
            MaxConnectingPeers = 8,
            ListenPort = listenPort,
            Connection = (connection ?? PeerConnectionOptions.Default).WithTime(_time),
            MaxPexPeers = MaxLearnedPeers,
            Log = log is null ? null : message => log($"metadata {infoHash.ToString()[..8]}: {message}"),
        };
        _dialer = new PeerDialer(
            _lock, _time, _options, _stop, peerId, _peers, mayDialUnderLock: () => _running, seedingUnderLock: () => false, Handshake, Track, Log);
        _requester = new MetadataRequester(_lock, _time, infoHash, Ban, Redial, Log);
        _pex = new PexExchange(_lock, _time, _options, enabled: true, _peers, _dialer.IsCandidate, Learnt, Log);
        _dhtPort = new DhtPortExchange(_lock, _options, isPrivate: false);
    }

    /// <summary>Peers connected at once (dialing included). Default 8.</summary>
    public int MaxConnections { get => _options.MaxPeers; init => (_options.MaxPeers, _options.MaxConnectingPeers) = (value, value); }

    /// <summary>Connected peers whose handshake clock is running (for tests that move a fake clock only once it is).</summary>
    internal int ConnectedSources
    {
        get
        {
            lock (_lock)
            {
                return _requester.SourceCount;
            }
        }
    }

    /// <summary>How long a peer may take to send its extension handshake or answer a request before it is dropped. Default 15 s.</summary>
    public TimeSpan RequestTimeout { get => _requester.RequestTimeout; init => _requester.RequestTimeout = value; }

    /// <summary>Pieces asked of one peer at once. Default 4.</summary>
    public int MaxRequestsPerPeer { get => _requester.MaxRequestsPerPeer; init => _requester.MaxRequestsPerPeer = value; }

    /// <summary>How peers are dialed; default TCP.</summary>
    public IPeerTransport? Transport { get => _options.Transport; init => _options.Transport = value; }

    /// <summary>Our DHT's UDP port (BEP 5), sent to peers that offer the DHT; null (default) without a DHT.</summary>
    public int? DhtPort { get => _options.DhtPort; init => _options.DhtPort = value; }

    /// <summary>Called with the DHT node a peer's port message names (as <see cref="TorrentSessionOptions.OnDhtNode"/>).</summary>
    public Action<IPEndPoint>? OnDhtNode { get => _options.OnDhtNode; init => _options.OnDhtNode = value; }

    /// <summary>Called with the address a peer's extension handshake says it sees us at, and the peer's address (as <see cref="TorrentSessionOptions.OnExternalAddress"/>).</summary>
    public Action<IPAddress, IPAddress>? OnExternalAddress { get => _options.OnExternalAddress; init => _options.OnExternalAddress = value; }

    /// <summary>Peers learnt from ut_pex messages during the fetch (at most 500), for the torrent's session afterwards.</summary>
    public IReadOnlyList<IPEndPoint> LearnedPeers => Locked(() => [.. _learned]);

    /// <summary>The peers whose pieces made up the verified metadata: known to be up and to have the torrent, so worth dialing first.</summary>
    public IReadOnlyList<IPEndPoint> SuppliedBy => Locked(() => _requester.SuppliedBy);

    /// <summary>Every address given or learnt, except those banned for serving bad metadata.</summary>
    public IReadOnlyList<IPEndPoint> KnownPeers => Locked(() => _dialer.Candidates());

    /// <summary>Where the fetch stands: peers known and connected, the metadata's size once announced, its pieces received.</summary>
    public MetadataProgress Progress
    {
        get
        {
            lock (_lock)
            {
                var (size, have, total) = _requester.Pieces;
                return new MetadataProgress(_dialer.Candidates().Count, _peers.Count, size, have, total);
            }
        }
    }

    /// <summary>Addresses to try; duplicates and addresses already tried are ignored. May be called at any time.</summary>
    public void AddPeers(IEnumerable<IPEndPoint> peers)
    {
        ArgumentNullException.ThrowIfNull(peers);
        _dialer.Add(peers, retryNow: false);
        _dialer.ConnectMore();
    }

    /// <summary>Fetches and verifies the info dictionary; returns its exact bytes, whose SHA-1 is the info hash.</summary>
    /// <exception cref="OperationCanceledException">The caller cancelled (there is no other time limit: peers may come later).</exception>
    /// <exception cref="InvalidOperationException">Called twice.</exception>
    public async Task<byte[]> FetchAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_running)
            {
                throw new InvalidOperationException("A metadata fetcher fetches once.");
            }

            _running = true;
            _tasks.Add(Task.Run(() => TickAsync(_stop.Token), CancellationToken.None));
        }

        _dialer.ConnectMore();
        try
        {
            return await _requester.Result.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await StopAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task StopAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _requester.Cancel();
        Task[] tasks;
        lock (_lock)
        {
            tasks = [.. _tasks];
        }

        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Log(string message) => _options.Log?.Invoke(message);

    private IReadOnlyList<IPEndPoint> Locked(Func<IReadOnlyList<IPEndPoint>> read)
    {
        lock (_lock)
        {
            return read();
        }
    }

    private Handshake Handshake() =>
        new(_infoHash, _peerId, PeerCapabilities.ExtensionProtocol | (_dhtPort.Enabled ? PeerCapabilities.Dht : PeerCapabilities.None));

    // Under the lock: the requester found a liar.
    private void Ban(PeerSession peer, string reason)
    {
        _dialer.Ban(peer.EndPoint);
        Log($"banned {peer.EndPoint}: {reason}");
        peer.Close();
    }

    private void Redial(IReadOnlyList<IPEndPoint> peers)
    {
        _dialer.Add(peers, retryNow: true);
        _dialer.ConnectMore();
    }

    private void Learnt(IReadOnlyList<IPEndPoint> peers)
    {
        lock (_lock)
        {
            _learned.AddRange(peers.Take(MaxLearnedPeers - _learned.Count));
        }

        AddPeers(peers);
    }

    // Runs a peer the dialer admitted, as one of the tasks stopping waits for.
    private Task Track(PeerConnection connection)
    {
        PeerSession peer;
        lock (_lock)
        {
            if (_stop.IsCancellationRequested)
            {
                return connection.DisposeAsync().AsTask();
            }

            peer = new PeerSession(connection, 0, _time, _stop.Token);
            _peers.Add(peer);
            _requester.Add(peer);
            _tasks.RemoveAll(t => t.IsCompleted);
            var task = RunPeerAsync(peer);
            _tasks.Add(task);
            return task;
        }
    }

    private async Task RunPeerAsync(PeerSession peer)
    {
        var connection = peer.Connection;
        await Task.Yield(); // out of the lock

        var reason = "closed";
        try
        {
            if (!peer.SupportsExtensions)
            {
                reason = "it does not speak the extension protocol";
                return;
            }

            var messages = new Dictionary<string, byte>(StringComparer.Ordinal)
            {
                [MetadataMessage.ExtensionName] = MetadataServer.LocalId,
                [PexMessage.ExtensionName] = PexExchange.LocalId,
            };
            var port = _options.ListenPort is > 0 and <= 65535 ? (ushort?)_options.ListenPort : null;
            var ours = new ExtensionHandshake(messages, MetadataSize: null, Client: "SmartShare 0.1", RequestQueue: 16, ListenPort: port, YourIp: ExtensionHandshake.Seen(peer.EndPoint));
            await connection.SendExtendedAsync(0, ours.Encode(), peer.Token).ConfigureAwait(false);
            await _dhtPort.AnnounceAsync(peer).ConfigureAwait(false);
            while (true)
            {
                var message = await connection.ReadAsync(peer.Token).ConfigureAwait(false);
                var drop = Handle(peer, message, out var action);
                if (drop is not null)
                {
                    reason = drop;
                    return;
                }

                await action.RunAsync(peer).ConfigureAwait(false);
                _requester.Pump();
            }
        }
        catch (Exception e) when (e is PeerConnectionException or IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            reason = e.Message;
        }
        catch (OperationCanceledException)
        {
            // closed: by us, or the fetch is over
        }
        finally
        {
            peer.Close();
            await connection.DisposeAsync().ConfigureAwait(false);
            lock (_lock)
            {
                _peers.Remove(peer);
                _requester.Remove(peer);
                if (!peer.SupportsExtensions || peer.Extensions?.Messages.ContainsKey(MetadataMessage.ExtensionName) == false)
                {
                    _dialer.Retire(peer.EndPoint); // it cannot serve the metadata: no use dialing it again for it
                }
            }

            peer.DisposeToken();
            if (!_stop.IsCancellationRequested)
            {
                Log($"left {peer.EndPoint}: {reason}");
                _requester.Pump();
                _dialer.ConnectMore();
            }
        }
    }

    // Handles one message (its payload is valid until the next read); returns why to drop the peer, or null.
    private string? Handle(PeerSession peer, in PeerMessage message, out PeerAction action)
    {
        action = default;
        switch (message.Type)
        {
            case PeerMessageType.Extended when message.ExtendedId == 0:
                var refused = _requester.OnExtensionHandshake(peer, message);
                PeerMessageDispatcher.ReportYourIp(_options, peer);
                return refused;

            case PeerMessageType.Extended when message.ExtendedId == MetadataServer.LocalId:
                return _requester.Receive(peer, message);

            case PeerMessageType.Extended when message.ExtendedId == PexExchange.LocalId:
                return _pex.Receive(peer, message, out action) ? null : action.Reason ?? "a bad PEX message";

            case PeerMessageType.Port:
                _dhtPort.Receive(peer, message.Port);
                return null;

            default:
                return null; // we have no pieces to trade yet: everything else is ignored
        }
    }

    // The request timeouts, PEX rounds and redials.
    private async Task TickAsync(CancellationToken token)
    {
        var period = TimeSpan.FromMilliseconds(Math.Clamp(RequestTimeout.TotalMilliseconds / 4, 10, 1000));
        using var timer = new PeriodicTimer(period, _time);
        using var stop = timer.DisposeOn(token);
        try
        {
            while (await timer.WaitForNextTickAsync(CancellationToken.None).ConfigureAwait(false))
            {
                var now = _time.GetTimestamp();
                var actions = new List<(PeerSession Peer, PeerAction Action)>();
                lock (_lock)
                {
                    _pex.Tick(now, actions);
                }

                _requester.DropOverdue(now);
                foreach (var (peer, action) in actions)
                {
                    _ = action.RunOrCloseAsync(peer);
                }

                _requester.Pump();
                _dialer.ConnectMore();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
