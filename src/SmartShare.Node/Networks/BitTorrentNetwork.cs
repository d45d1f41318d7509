using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using SmartShare.BitTorrent.Engine;
using SmartShare.BitTorrent.PeerWire;
using SmartShare.Networking;
using SmartShare.Node.Hosting;
using SmartShare.Node.Settings;
using SmartShare.Node.Torrents;

namespace SmartShare.Node.Networks;

/// <summary>
/// The BitTorrent network: the <see cref="BitTorrentClient"/> listening for peers on TCP <c>bt_port</c>, and (unless
/// <c>bt_dht</c> is off) the Mainline DHT on the same UDP port, which joins, saves its table and announces the
/// torrents it is given (<see cref="TorrentDht"/>). Torrent sessions run above it (<see cref="TorrentManager"/>).
/// </summary>
public sealed partial class BitTorrentNetwork(
    TorrentStore store,
    NodeSettingsStore settings,
    Limits.BandwidthLimits limits,
    IRandomSource random,
    TimeProvider time,
    ILogger<BitTorrentNetwork> logger,
    Reachability.IExternalAddressSink externalAddress) : INetworkService, IAsyncDisposable
{
    private const int PortAttempts = 10;

    private BitTorrentClient? _client;
    private TorrentDht? _dht;
    private EncryptionMode _encryption = EncryptionMode.Prefer;
    private IReadOnlyList<NetworkEndPoint> _endPoints = [];
    private Ipv6Side? _ipv6;
    private int _stopped;

    public string Name => "bittorrent";

    public IReadOnlyList<NetworkEndPoint> EndPoints => _endPoints;

    /// <summary>For fetching .torrent files by URL and for HTTP trackers.</summary>
    public HttpClient Http { get; } = new() { Timeout = Timeout.InfiniteTimeSpan };

    public BitTorrentClient Client => _client ?? throw new InvalidOperationException("The BitTorrent side has not started.");

    /// <summary>The Mainline DHT, or null when it is off (bt_dht false) or not started.</summary>
    internal TorrentDht? Dht => _dht;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var current = settings.Current;
        var families = ListenFamilies.Of(settings);
        _encryption = EncryptionModeOf(current.BtEncryption);
        var bootstrap = current.BtDht
            ? await EndPointNames.ResolveSettingAsync(current.BtBootstrap, NodeSettingKeys.BtBootstrap, cancellationToken)
            : [];

        // With port 0 the TCP listener picks a free number, which the DHT then needs on UDP too: when another program
        // holds that number on UDP, take another rather than fail the start. The default port, when taken (a second
        // node on this machine), gives way to the next number free on both; a port the user chose stays an error.
        var fallback = current.BtPort != 0 && NetworkPorts.IsDefault(settings, NodeSettingKeys.BtPort);
        for (var attempt = 1; ; attempt++)
        {
            var port = fallback ? current.BtPort + attempt - 1 : current.BtPort;
            var retry = attempt < (fallback ? NetworkPorts.FallbackAttempts : PortAttempts);
            BitTorrentClient client;
            try
            {
                client = await StartClientAsync(families.Primary, port);
            }
            catch (NodeStartException) when (fallback && retry)
            {
                continue;
            }

            if (!current.BtDht)
            {
                _client = client;
                break;
            }

            var dhtEndPoint = new IPEndPoint(client.LocalEndPoint.Address, client.LocalEndPoint.Port);
            try
            {
                _dht = TorrentDht.Start(
                    dhtEndPoint,
                    bootstrap,
                    current.AllowLan,
                    store.DatabasePath,
                    time,
                    random,
                    logger,
                    (seen, node) => externalAddress.Report(seen.Address, Reachability.ExternalAddressSource.MainlineDht, node.Address));
                _client = client;
                break;
            }
            catch (SocketException) when ((current.BtPort == 0 || fallback) && retry)
            {
                await client.DisposeAsync();
            }
            catch (SocketException ex)
            {
                await client.DisposeAsync();
                throw new NodeStartException(
                    $"Cannot listen on UDP {dhtEndPoint} for the Mainline DHT: {ex.Message}. Is another client running? Choose another port with --bt-port, or turn the DHT off with --no-bt-dht.", ex);
            }
        }

        if (fallback && _client.LocalEndPoint.Port != current.BtPort)
        {
            LogPortFallback(logger, current.BtPort, _client.LocalEndPoint.Port);
        }

        var endPoints = _dht is null
            ? new List<NetworkEndPoint> { new("peers", "tcp", _client.LocalEndPoint) }
            : [new("peers", "tcp", _client.LocalEndPoint), new("dht", "udp", _dht.LocalEndPoint)];
        _ipv6 = new Ipv6Side(families, logger);
        if (families.Ipv6 is { } ipv6)
        {
            var (client, dht, ipv6Port) = (_client, _dht, _client.LocalEndPoint.Port);
            if (_ipv6.TryBind($"TCP [{ipv6}]:{ipv6Port} for BitTorrent peers", () => client.ListenAlso(new IPEndPoint(ipv6, ipv6Port))) is { } peers6)
            {
                endPoints.Add(new NetworkEndPoint("peers", "tcp", peers6));
            }

            if (dht is not null && _ipv6.TryBind($"UDP [{ipv6}]:{ipv6Port} for the Mainline DHT", () => dht.AddIpv6(new IPEndPoint(ipv6, ipv6Port), time, random)) is { } dht6)
            {
                endPoints.Add(new NetworkEndPoint("dht", "udp", dht6));
            }
        }

        _endPoints = endPoints;
        foreach (var endPoint in endPoints.Where(endPoint => endPoint.Role == "peers"))
        {
            LogListening(logger, endPoint.EndPoint);
        }
    }

    /// <summary>Closes the listener (and any session still in the client) and the DHT, which saves its table.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        if (_client is not null)
        {
            await _client.DisposeAsync();
        }

        if (_dht is not null)
        {
            await _dht.DisposeAsync();
        }

        Http.Dispose();
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None);

    public JsonObject? Describe()
    {
        var client = _client;
        return client is null
            ? null
            : new JsonObject
            {
                ["port"] = client.LocalEndPoint.Port,
                ["peer_id"] = client.PeerId.ToString(),
                ["encryption"] = settings.Current.BtEncryption,
                ["dht"] = _dht?.Describe(),
                ["ipv6"] = _ipv6?.ToJson(),
            };
    }

    /// <summary>
    /// The options a new session (or a magnet's metadata fetch) starts with: the node's limiters (a torrent's own are
    /// chained under them by <see cref="TorrentManager"/>), encryption, our DHT.
    /// </summary>
    internal TorrentSessionOptions SessionOptions() => new()
    {
        UploadLimiter = limits.Upload,
        DownloadLimiter = limits.Download,
        Connection = new PeerConnectionOptions { Encryption = _encryption },
        DhtPort = _dht?.LocalEndPoint.Port,
        OnDhtNode = endPoint => _dht?.AddNode(endPoint),
        OnExternalAddress = (seen, peer) => externalAddress.Report(seen, Reachability.ExternalAddressSource.PeerHandshake, peer),
    };

    internal static EncryptionMode EncryptionModeOf(string setting) => setting switch
    {
        "require" => EncryptionMode.Require,
        "disable" => EncryptionMode.Disable,
        _ => EncryptionMode.Prefer,
    };

    private async Task<BitTorrentClient> StartClientAsync(IPAddress bind, int port)
    {
        var client = new BitTorrentClient(
            new BitTorrentClientOptions
            {
                ListenEndPoint = new IPEndPoint(bind, port),
                SessionOptions = SessionOptions,
                Log = message => LogEngine(logger, message),
                Http = Http,
            },
            random,
            time);
        try
        {
            client.Start();
            return client;
        }
        catch (SocketException ex)
        {
            await client.DisposeAsync();
            throw new NodeStartException(
                $"Cannot listen on TCP {new IPEndPoint(bind, port)} for BitTorrent peers: {ex.Message}. Is another client running? Choose another port with --bt-port or the 'bt_port' setting.", ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "BitTorrent port {Requested} is taken (another node?); using {Port} instead.")]
    private static partial void LogPortFallback(ILogger logger, int requested, int port);

    [LoggerMessage(Level = LogLevel.Information, Message = "BitTorrent peers on TCP {EndPoint}")]
    private static partial void LogListening(ILogger logger, IPEndPoint endPoint);

    [LoggerMessage(Level = LogLevel.Debug, Message = "BitTorrent: {Message}")]
    internal static partial void LogEngine(ILogger logger, string message);
}
