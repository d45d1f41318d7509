using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SmartShare.BitTorrent;
using SmartShare.Lbry.Blobs;
using SmartShare.Networking;
using SmartShare.Node.Hosting;
using SmartShare.Node.Settings;

namespace SmartShare.Node.LocalDiscovery;

/// <summary>
/// Local peer discovery (setting <c>local_discovery</c>): BEP 14 for torrents on 239.192.152.143:6771 and
/// [ff15::efc0:988f]:6771, and our LBRY equivalent for streams (<see cref="LbryLanDiscovery"/>) on its own groups.
/// Torrents (never private ones) are announced when added and every 5 minutes, as libtorrent does; a peer heard
/// announcing a torrent we run is handed to its session like a DHT or PEX peer. It talks on every interface that
/// is up and has multicast, or only on the one holding <c>bind</c> when that is an address (so a node bound to
/// 127.0.0.1 sends nothing beyond loopback).
/// </summary>
public sealed partial class LocalPeerDiscovery : IHostedService, IStatusContributor, IAsyncDisposable
{
    public static readonly TimeSpan AnnounceInterval = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan TickInterval = TimeSpan.FromSeconds(2);
    private const int MaxPeersRemembered = 4096;

    private readonly NodeSettingsStore _settings;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SwitchableTransport _btTransport = new();
    private readonly ConcurrentDictionary<string, Action<IReadOnlyList<IPEndPoint>>> _torrents = new(StringComparer.Ordinal);
    private readonly HashSet<IPEndPoint> _btPeers = [];
    private readonly CancellationTokenSource _stop = new();
    private MulticastChannel? _btChannel;
    private MulticastChannel? _lbryChannel;
    private ITimer? _timer;
    private Task _receiving = Task.CompletedTask;
    private int _btPort;
    private int _ticking;
    private int _stopped;

    public LocalPeerDiscovery(
        NodeSettingsStore settings, LbryLanDiscovery lbry, TimeProvider time, IRandomSource random, ILogger<LocalPeerDiscovery> logger)
    {
        _settings = settings;
        _time = time;
        _logger = logger;
        Lbry = lbry;
        BitTorrent = new LanDiscoveryEngine(LanAnnounceFormat.BitTorrent, _btTransport, time, random, AnnounceInterval, () => Volatile.Read(ref _btPort))
        {
            OnAnnounce = OnTorrentAnnounce,
        };
    }

    public string Section => "local_discovery";

    public bool Enabled => _settings.Current.LocalDiscovery;

    /// <summary>The LBRY half: streams' sd hashes announced and heard.</summary>
    public LbryLanDiscovery Lbry { get; }

    internal LanDiscoveryEngine BitTorrent { get; }

    /// <summary>Distinct BitTorrent peers heard announcing a torrent we run.</summary>
    public int TorrentPeersFound
    {
        get
        {
            lock (_btPeers)
            {
                return _btPeers.Count;
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!Enabled)
        {
            LogDisabled(_logger);
            return Task.CompletedTask;
        }

        var bind = IPAddress.TryParse(_settings.Current.BindAddress, out var address) ? address : IPAddress.Any;
        var interfaces = MulticastChannel.Interfaces(bind);
        _btChannel = new MulticastChannel(LocalDiscoveryGroups.BitTorrentV4, LocalDiscoveryGroups.BitTorrentV6, LocalDiscoveryGroups.BitTorrentPort, interfaces);
        _lbryChannel = new MulticastChannel(LocalDiscoveryGroups.LbryV4, LocalDiscoveryGroups.LbryV6, LocalDiscoveryGroups.LbryPort, interfaces);
        _btTransport.Inner = _btChannel;
        Lbry.Transport.Inner = _lbryChannel;
        _receiving = Task.WhenAll(
            Task.Run(() => _btChannel.RunAsync(BitTorrent.Receive, _stop.Token), CancellationToken.None),
            Task.Run(() => _lbryChannel.RunAsync(Lbry.Engine.Receive, _stop.Token), CancellationToken.None));
        _timer = _time.CreateTimer(static state => ((LocalPeerDiscovery)state!).Tick(), this, TimeSpan.Zero, TickInterval);
        if (_logger.IsEnabled(LogLevel.Information))
        {
            var joined = string.Join(", ", _btChannel.Groups.Concat(_lbryChannel.Groups));
            LogStarted(_logger, joined, interfaces.Count);
        }

        foreach (var failure in _btChannel.Failures.Concat(_lbryChannel.Failures))
        {
            LogGroupFailed(_logger, failure);
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        if (_timer is not null)
        {
            await _timer.DisposeAsync();
        }

        await _stop.CancelAsync();
        Lbry.Stop();
        _btTransport.Inner = null;
        Lbry.Transport.Inner = null;
        _btChannel?.Dispose();
        _lbryChannel?.Dispose();
        await _receiving;
        _stop.Dispose();
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None);

    /// <summary>
    /// Announces a public torrent on the LAN (at once, then every 5 minutes) and hands peers heard for it to
    /// <paramref name="onPeers"/> until <see cref="Untrack"/>. A private torrent is refused here too (BEP 27).
    /// </summary>
    public void Track(InfoHash infoHash, bool isPrivate, int port, Action<IReadOnlyList<IPEndPoint>> onPeers)
    {
        if (isPrivate || !Enabled)
        {
            return;
        }

        Volatile.Write(ref _btPort, port);
        var key = infoHash.ToString().ToLowerInvariant();
        _torrents[key] = onPeers;
        BitTorrent.Add(key);
    }

    public void Untrack(InfoHash infoHash)
    {
        var key = infoHash.ToString().ToLowerInvariant();
        _torrents.TryRemove(key, out _);
        BitTorrent.Remove(key);
    }

    public JsonNode? Describe()
    {
        var groups = new JsonArray();
        var failures = new JsonArray();
        foreach (var channel in new[] { _btChannel, _lbryChannel })
        {
            foreach (var group in channel?.Groups ?? [])
            {
                groups.Add(group);
            }

            foreach (var failure in channel?.Failures ?? [])
            {
                failures.Add(failure);
            }
        }

        return new JsonObject
        {
            ["enabled"] = Enabled,
            ["groups"] = groups,
            ["failures"] = failures,
            ["bittorrent"] = new JsonObject
            {
                ["cookie"] = BitTorrent.Cookie,
                ["torrents"] = BitTorrent.Tracked,
                ["announces_sent"] = BitTorrent.Sent,
                ["received"] = BitTorrent.Received,
                ["refused"] = BitTorrent.Malformed + BitTorrent.RateLimited,
                ["peers_found"] = TorrentPeersFound,
            },
            ["lbry"] = Lbry.Describe(),
        };
    }

    private void Tick()
    {
        // A slow round (a busy database) is never overlapped by the next one.
        if (Interlocked.Exchange(ref _ticking, 1) != 0)
        {
            return;
        }

        try
        {
            BitTorrent.Tick();
            Lbry.Tick();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogTickFailed(_logger, ex.Message);
        }
        finally
        {
            Volatile.Write(ref _ticking, 0);
        }
    }

    private void OnTorrentAnnounce(LanAnnounce announce, IPEndPoint from)
    {
        var peer = new IPEndPoint(from.Address, announce.Port);
        foreach (var hash in announce.Hashes)
        {
            if (!_torrents.TryGetValue(hash, out var onPeers))
            {
                continue;
            }

            lock (_btPeers)
            {
                if (_btPeers.Count < MaxPeersRemembered)
                {
                    _btPeers.Add(peer);
                }
            }

            LogTorrentPeer(_logger, peer, hash);
            onPeers([peer]);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Local discovery off (local_discovery is false).")]
    private static partial void LogDisabled(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Local discovery on {Groups} ({Interfaces} interfaces with multicast)")]
    private static partial void LogStarted(ILogger logger, string groups, int interfaces);

    [LoggerMessage(Level = LogLevel.Information, Message = "Local discovery: {Failure}")]
    private static partial void LogGroupFailed(ILogger logger, string failure);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Local discovery round failed: {Reason}")]
    private static partial void LogTickFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Local discovery: peer {Peer} for torrent {InfoHash}")]
    private static partial void LogTorrentPeer(ILogger logger, IPEndPoint peer, string infoHash);
}
