using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using SmartShare.BitTorrent;
using SmartShare.BitTorrent.Dht;
using SmartShare.Kademlia;
using SmartShare.Networking;

namespace SmartShare.Node.Torrents;

/// <summary>
/// The node's Mainline DHT (BEP 5) on the UDP side of the BitTorrent port. It joins through the saved routing table
/// and the <c>bt_bootstrap</c> nodes only, so it never reaches a public router unless the user names one. For each
/// public torrent it looks peers up at once, again every minute while the torrent lacks peers, and announces our
/// port every 15 minutes.
/// </summary>
internal sealed partial class TorrentDht : IAsyncDisposable
{
    private static readonly TimeSpan AnnounceInterval = TimeSpan.FromMinutes(15);
    private static readonly TimeSpan HungryInterval = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan SaveInterval = TimeSpan.FromMinutes(10);

    private readonly MainlineDht _dht;
    private readonly UdpDatagramSocket _socket;
    private readonly MainlineDhtNodeStore _store;
    private readonly IReadOnlyList<IPEndPoint> _bootstrap;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<InfoHash, CancellationTokenSource> _tracked = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly ITimer _saveTimer;
    private int _disposed;
    private volatile bool _joined;

    private TorrentDht(MainlineDht dht, UdpDatagramSocket socket, MainlineDhtNodeStore store, IReadOnlyList<IPEndPoint> bootstrap, TimeProvider time, ILogger logger)
    {
        _dht = dht;
        _socket = socket;
        _store = store;
        _bootstrap = bootstrap;
        _time = time;
        _logger = logger;
        _saveTimer = time.CreateTimer(static state => ((TorrentDht)state!).Save(), this, SaveInterval, SaveInterval);
    }

    public IPEndPoint LocalEndPoint => _dht.LocalEndPoint;

    /// <summary>Binds UDP <paramref name="local"/> (the BitTorrent port's number), loads the saved table and joins in the background.</summary>
    /// <exception cref="SocketException">The UDP port is taken.</exception>
    /// <param name="onExternalAddress">Called with the address a node says it saw us at (BEP 42's <c>ip</c>), and that node's address.</param>
    public static TorrentDht Start(
        IPEndPoint local,
        IReadOnlyList<IPEndPoint> bootstrap,
        bool allowLan,
        string databasePath,
        TimeProvider time,
        IRandomSource random,
        ILogger logger,
        Action<IPEndPoint, IPEndPoint>? onExternalAddress = null)
    {
        var store = MainlineDhtNodeStore.Open(databasePath);
        var saved = store.Load();
        var socket = UdpDatagramSocket.Bind(local);
        var dht = MainlineDht.Create(
            socket,
            new MainlineDhtOptions { Bootstrap = bootstrap, AllowLan = allowLan },
            time,
            random,
            message => LogDht(logger, message));
        dht.ImportContacts(saved);
        if (onExternalAddress is not null)
        {
            dht.Endpoint.ExternalAddressReported += onExternalAddress;
        }

        dht.Start();
        var host = new TorrentDht(dht, socket, store, bootstrap, time, logger);
        LogStarted(logger, dht.LocalEndPoint, saved.Count, bootstrap.Count);
        _ = host.JoinAsync();
        return host;
    }

    public JsonObject Describe() => new()
    {
        ["port"] = _dht.LocalEndPoint.Port,
        ["node_id"] = _dht.Id.ToString(),
        ["nodes"] = _dht.NodeCount,

        // The same two words as the LBRY DHT's section, so status can show both alike.
        ["contacts"] = _dht.NodeCount,
        ["joined"] = _joined,
        ["bootstrap"] = new JsonArray([.. _bootstrap.Select(node => (JsonNode?)JsonValue.Create(node.ToString()))]),
        ["torrents"] = _tracked.Count,
    };

    /// <summary>Adds a node a peer or a magnet link named, if it answers a ping.</summary>
    public void AddNode(IPEndPoint endPoint) => _ = AddNodeAsync(endPoint);

    /// <summary>Looks up peers for a torrent whose metadata we still need, passing them on as they arrive.</summary>
    public Task FindPeersAsync(InfoHash infoHash, Action<IReadOnlyList<IPEndPoint>> onPeers, CancellationToken cancellationToken) =>
        _dht.GetPeersAsync(infoHash, cancellationToken, onPeers);

    /// <summary>
    /// Finds peers for a torrent and announces our <paramref name="port"/> until <see cref="Untrack"/>.
    /// <paramref name="wantsPeers"/> says whether the torrent still lacks peers (then it looks again every minute).
    /// </summary>
    public void Track(InfoHash infoHash, int port, Action<IReadOnlyList<IPEndPoint>> onPeers, Func<bool> wantsPeers)
    {
        var stop = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        if (!_tracked.TryAdd(infoHash, stop))
        {
            stop.Dispose();
            return;
        }

        _ = TrackAsync(infoHash, port, onPeers, wantsPeers, stop.Token);
    }

    public void Untrack(InfoHash infoHash)
    {
        if (_tracked.TryRemove(infoHash, out var stop))
        {
            stop.Cancel();
            stop.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync();
        await _saveTimer.DisposeAsync();
        Save();
        await _dht.DisposeAsync();
        _socket.Dispose();
        _stop.Dispose();
    }

    private async Task JoinAsync()
    {
        try
        {
            var joined = await _dht.BootstrapAsync([], _stop.Token);
            _joined = joined;
            LogJoined(_logger, joined, _dht.NodeCount);
            Save();
        }
        catch (OperationCanceledException)
        {
            // The node is stopping.
        }
    }

    private async Task AddNodeAsync(IPEndPoint endPoint)
    {
        try
        {
            await _dht.AddNodeAsync(endPoint, _stop.Token);
        }
        catch (OperationCanceledException)
        {
            // The node is stopping.
        }
    }

    private async Task TrackAsync(InfoHash infoHash, int port, Action<IReadOnlyList<IPEndPoint>> onPeers, Func<bool> wantsPeers, CancellationToken cancellationToken)
    {
        var lastAnnounce = DateTimeOffset.MinValue;

        // Until an announcement reaches a node (the table may still be empty at start), it is tried again soon,
        // backing off from 2 s to a minute.
        var retry = TimeSpan.FromSeconds(2);
        try
        {
            var self = OwnPeer(port);
            void OnOthers(IReadOnlyList<IPEndPoint> peers)
            {
                var others = self is null ? peers : peers.Where(peer => !peer.Equals(self)).ToList();
                if (others.Count > 0)
                {
                    onPeers(others);
                }
            }

            while (!cancellationToken.IsCancellationRequested)
            {
                if (self is not null)
                {
                    // We answer get_peers for our own torrents with ourselves too: a client that joined the DHT
                    // through us alone (aria2, a libtorrent bootstrapped from us) finds us without a third node.
                    _dht.Engine.PeerStore.Store(NodeId.FromBytes(infoHash.ToArray()), KrpcCodec.CompactPeer(self), _dht.Id);
                }

                var found = await _dht.GetPeersAsync(infoHash, cancellationToken, OnOthers);

                var announced = true;
                if (_time.GetUtcNow() - lastAnnounce >= AnnounceInterval)
                {
                    var accepted = await _dht.AnnounceAsync(infoHash, port, cancellationToken);
                    LogAnnounced(_logger, infoHash, found.Count, accepted);
                    announced = accepted > 0;
                    if (announced)
                    {
                        lastAnnounce = _time.GetUtcNow();
                        retry = TimeSpan.FromSeconds(2);
                    }
                }

                var next = !announced ? retry : wantsPeers() ? HungryInterval : AnnounceInterval;
                if (!announced)
                {
                    retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, HungryInterval.Ticks));
                }

                await Task.Delay(next, _time, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // Untracked, or the node is stopping.
        }
    }

    /// <summary>Our own peer address when the node listens on one IPv4 address (not 0.0.0.0): then we know what to tell others.</summary>
    private IPEndPoint? OwnPeer(int port)
    {
        var address = _dht.LocalEndPoint.Address;
        return address.AddressFamily == AddressFamily.InterNetwork && !address.Equals(IPAddress.Any) ? new IPEndPoint(address, port) : null;
    }

    private void Save()
    {
        if (_dht.NodeCount == 0)
        {
            return;
        }

        try
        {
            _store.Save(_dht.ExportContacts());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or SmartShare.Storage.StorageException or Microsoft.Data.Sqlite.SqliteException)
        {
            LogSaveFailed(_logger, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Mainline DHT on UDP {EndPoint}; {Saved} saved nodes, {Bootstrap} bootstrap nodes")]
    private static partial void LogStarted(ILogger logger, IPEndPoint endPoint, int saved, int bootstrap);

    [LoggerMessage(Level = LogLevel.Information, Message = "Mainline DHT joined: {Joined}, {Nodes} nodes in the routing table")]
    private static partial void LogJoined(ILogger logger, bool joined, int nodes);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Mainline DHT: {InfoHash} has {Peers} peers in the DHT; announced to {Accepted} nodes")]
    private static partial void LogAnnounced(ILogger logger, InfoHash infoHash, int peers, int accepted);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not save the Mainline DHT routing table: {Reason}")]
    private static partial void LogSaveFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Mainline DHT: {Message}")]
    private static partial void LogDht(ILogger logger, string message);
}
