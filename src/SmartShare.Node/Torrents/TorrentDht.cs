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
/// port every 15 minutes. It runs over the non-uTP side of the BitTorrent UDP port (a
/// <see cref="SmartShare.BitTorrent.Utp.SharedUdpPort"/>, which the owner binds and closes after it). Where the machine
/// has IPv6 it runs a second node on the IPv6 port of the same number (<see cref="AddIpv6"/>), as libtorrent does: BEP 32 keeps one routing table per family, and the two answer each
/// other's <c>want</c>. Lookups and announcements go through both; its saved table holds both families.
/// </summary>
internal sealed partial class TorrentDht : IAsyncDisposable
{
    private static readonly TimeSpan AnnounceInterval = TimeSpan.FromMinutes(15);
    private static readonly TimeSpan HungryInterval = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan SaveInterval = TimeSpan.FromMinutes(10);

    private readonly MainlineDht _dht;
    private readonly MainlineDhtNodeStore _store;
    private readonly IReadOnlyList<IPEndPoint> _bootstrap;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<InfoHash, CancellationTokenSource> _tracked = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly ITimer _saveTimer;
    private MainlineDht? _dht6;
    private IReadOnlyList<MainlineDhtContact> _saved = [];
    private Action<IPEndPoint, IPEndPoint>? _onExternalAddress;
    private int _disposed;
    private volatile bool _joined;

    private TorrentDht(MainlineDht dht, MainlineDhtNodeStore store, IReadOnlyList<IPEndPoint> bootstrap, TimeProvider time, ILogger logger)
    {
        _dht = dht;
        _store = store;
        _bootstrap = bootstrap;
        _time = time;
        _logger = logger;
        _saveTimer = time.CreateTimer(static state => ((TorrentDht)state!).Save(), this, SaveInterval, SaveInterval);
    }

    public IPEndPoint LocalEndPoint => _dht.LocalEndPoint;

    /// <summary>The IPv6 node's address, when <see cref="AddIpv6"/> started one.</summary>
    public IPEndPoint? LocalEndPoint6 => _dht6?.LocalEndPoint;

    /// <summary>Runs over <paramref name="transport"/> (the BitTorrent UDP port's non-uTP side), loads the saved table and joins in the background.</summary>
    /// <param name="transport">The datagrams, which this does not own: the caller closes it after disposing this.</param>
    /// <param name="onExternalAddress">Called with the address a node says it saw us at (BEP 42's <c>ip</c>), and that node's address.</param>
    public static TorrentDht Start(
        IDatagramTransport transport,
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
        var local = transport.LocalEndPoint;
        var dht = MainlineDht.Create(
            transport,
            new MainlineDhtOptions { Bootstrap = [.. bootstrap.Where(node => SameFamily(node, local))], AllowLan = allowLan },
            time,
            random,
            message => LogDht(logger, message));
        dht.ImportContacts(saved.Where(contact => SameFamily(contact.EndPoint, local)));
        if (onExternalAddress is not null)
        {
            dht.Endpoint.ExternalAddressReported += onExternalAddress;
        }

        dht.Start();
        var host = new TorrentDht(dht, store, bootstrap, time, logger) { _saved = saved, _onExternalAddress = onExternalAddress };
        LogStarted(logger, dht.LocalEndPoint, saved.Count, bootstrap.Count);
        _ = host.JoinAsync();
        return host;
    }

    /// <summary>
    /// Starts the IPv6 node over <paramref name="transport6"/> (the IPv6 UDP port's non-uTP side, not owned: the IPv4
    /// node keeps its own port), with the same id, paired with the IPv4 one. Call once, right after
    /// <see cref="Start"/>; it joins through the IPv6 saved nodes and bootstrap nodes.
    /// </summary>
    public IPEndPoint AddIpv6(IDatagramTransport transport6, TimeProvider time, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(transport6);
        var local6 = transport6.LocalEndPoint;
        var options = new MainlineDhtOptions { Bootstrap = [.. _bootstrap.Where(node => SameFamily(node, local6))], AllowLan = _dht.Endpoint.Policy.AllowLan };
        var dht = MainlineDht.Create(transport6, options, time, random, message => LogDht(_logger, "[v6] " + message), _dht.Id);
        dht.ImportContacts(_saved.Where(contact => SameFamily(contact.EndPoint, local6)));
        MainlineDht.Pair(_dht, dht);
        if (_onExternalAddress is not null)
        {
            dht.Endpoint.ExternalAddressReported += _onExternalAddress;
        }

        dht.Start();
        _dht6 = dht;
        var saved6 = _saved.Count(contact => SameFamily(contact.EndPoint, local6));
        LogStarted(_logger, dht.LocalEndPoint, saved6, options.Bootstrap.Count);
        _ = JoinAsync(dht);
        return dht.LocalEndPoint;
    }

    public JsonObject Describe() => new()
    {
        ["port"] = _dht.LocalEndPoint.Port,
        ["node_id"] = _dht.Id.ToString(),
        ["nodes"] = _dht.NodeCount,

        // BEP 32: the IPv6 table's size, null when the node runs on IPv4 only.
        ["nodes6"] = _dht6?.NodeCount,

        // The same two words as the LBRY DHT's section, so status can show both alike.
        ["contacts"] = _dht.NodeCount + (_dht6?.NodeCount ?? 0),
        ["joined"] = _joined,
        ["bootstrap"] = new JsonArray([.. _bootstrap.Select(node => (JsonNode?)JsonValue.Create(node.ToString()))]),
        ["torrents"] = _tracked.Count,
    };

    /// <summary>Adds a node a peer or a magnet link named, if it answers a ping (to the node of its family).</summary>
    public void AddNode(IPEndPoint endPoint)
    {
        var dht = NodeFor(endPoint);
        if (dht is not null)
        {
            _ = AddNodeAsync(dht, endPoint);
        }
    }

    /// <summary>Looks up peers for a torrent whose metadata we still need (in both families), passing them on as they arrive.</summary>
    public Task FindPeersAsync(InfoHash infoHash, Action<IReadOnlyList<IPEndPoint>> onPeers, CancellationToken cancellationToken) =>
        Task.WhenAll(Nodes().Select(dht => dht.GetPeersAsync(infoHash, cancellationToken, onPeers)));

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
        if (_dht6 is not null)
        {
            await _dht6.DisposeAsync();
        }

        _stop.Dispose();
    }

    private static bool SameFamily(IPEndPoint endPoint, IPEndPoint local) =>
        (endPoint.Address.IsIPv4MappedToIPv6 ? AddressFamily.InterNetwork : endPoint.Address.AddressFamily) == local.AddressFamily;

    private MainlineDht? NodeFor(IPEndPoint endPoint) =>
        SameFamily(endPoint, _dht.LocalEndPoint) ? _dht : _dht6 is not null && SameFamily(endPoint, _dht6.LocalEndPoint) ? _dht6 : null;

    private IEnumerable<MainlineDht> Nodes() => _dht6 is null ? [_dht] : [_dht, _dht6];

    private Task JoinAsync() => JoinAsync(_dht);

    private async Task JoinAsync(MainlineDht dht)
    {
        try
        {
            var joined = await dht.BootstrapAsync([], _stop.Token);
            _joined |= joined;
            LogJoined(_logger, joined, dht.NodeCount);
            Save();
        }
        catch (OperationCanceledException)
        {
            // The node is stopping.
        }
    }

    private async Task AddNodeAsync(MainlineDht dht, IPEndPoint endPoint)
    {
        try
        {
            await dht.AddNodeAsync(endPoint, _stop.Token);
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
            var selves = Nodes().Select(dht => OwnPeer(dht, port)).OfType<IPEndPoint>().ToList();
            void OnOthers(IReadOnlyList<IPEndPoint> peers)
            {
                var others = peers.Where(peer => !selves.Contains(peer)).ToList();
                if (others.Count > 0)
                {
                    onPeers(others);
                }
            }

            while (!cancellationToken.IsCancellationRequested)
            {
                foreach (var dht in Nodes())
                {
                    // We answer get_peers for our own torrents with ourselves too: a client that joined the DHT
                    // through us alone (aria2, a libtorrent bootstrapped from us) finds us without a third node.
                    if (OwnPeer(dht, port) is { } self)
                    {
                        dht.Engine.PeerStore.Store(NodeId.FromBytes(infoHash.ToArray()), KrpcCodec.CompactPeer(self), dht.Id);
                    }
                }

                var found = await Task.WhenAll(Nodes().Select(dht => dht.GetPeersAsync(infoHash, cancellationToken, OnOthers)));

                var announced = true;
                if (_time.GetUtcNow() - lastAnnounce >= AnnounceInterval)
                {
                    var accepted = (await Task.WhenAll(Nodes().Select(dht => dht.AnnounceAsync(infoHash, port, cancellationToken)))).Sum();
                    var peerCount = found.Sum(peers => peers.Count);
                    LogAnnounced(_logger, infoHash, peerCount, accepted);
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

    /// <summary>Our own peer address when a node listens on one address (not 0.0.0.0 or ::): then we know what to tell others.</summary>
    private static IPEndPoint? OwnPeer(MainlineDht dht, int port)
    {
        var address = dht.LocalEndPoint.Address;
        return address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) ? null : new IPEndPoint(address, port);
    }

    private void Save()
    {
        if (Nodes().All(dht => dht.NodeCount == 0))
        {
            return;
        }

        try
        {
            _store.Save([.. Nodes().SelectMany(dht => dht.ExportContacts())]);
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
