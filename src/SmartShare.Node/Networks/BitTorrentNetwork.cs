using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using SmartShare.BitTorrent.Engine;
using SmartShare.BitTorrent.PeerWire;
using SmartShare.BitTorrent.PeerWire.Transport;
using SmartShare.BitTorrent.Utp;
using SmartShare.Networking;
using SmartShare.Node.Hosting;
using SmartShare.Node.Settings;
using SmartShare.Node.Torrents;

namespace SmartShare.Node.Networks;

/// <summary>
/// The BitTorrent network: the <see cref="BitTorrentClient"/> listening for peers on TCP <c>bt_port</c> and on uTP
/// at the same UDP port number (<c>bt_transport</c> says which), and (unless <c>bt_dht</c> is off) the Mainline DHT
/// on that UDP port too (a <see cref="SharedUdpPort"/>), which joins, saves its table and announces the torrents it
/// is given (<see cref="TorrentDht"/>). Torrent sessions run above it (<see cref="TorrentManager"/>).
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

    /// <summary>How often the sessions' tick timers are fired, together (<see cref="TorrentSessionOptions.TickTime"/>).</summary>
    internal static readonly TimeSpan SessionTickBeat = TimeSpan.FromMilliseconds(100);

    private readonly SmartShare.Threading.BeatTimeProvider _sessionTicks = new(time, SessionTickBeat);

    private BitTorrentClient? _client;
    private TorrentDht? _dht;
    private SharedUdpPort? _udp;
    private SharedUdpPort? _udp6;
    private DualPeerTransport? _transport;
    private PeerTransportMode _transportMode = PeerTransportMode.Both;
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
        _transportMode = TransportModeOf(current.BtTransport);
        var bootstrap = current.BtDht
            ? await EndPointNames.ResolveSettingAsync(current.BtBootstrap, NodeSettingKeys.BtBootstrap, cancellationToken)
            : [];

        // uTP and the DHT share one UDP port of the TCP listener's number, bound first: with port 0 it picks the
        // number, which TCP then needs too; when another program holds that number on TCP, take another rather than
        // fail the start. The default port, when taken (a second node on this machine), gives way to the next number
        // free on both; a port the user chose stays an error.
        var udpWanted = current.BtDht || _transportMode != PeerTransportMode.Tcp;
        var fallback = current.BtPort != 0 && NetworkPorts.IsDefault(settings, NodeSettingKeys.BtPort);
        for (var attempt = 1; ; attempt++)
        {
            var port = fallback ? current.BtPort + attempt - 1 : current.BtPort;
            var retry = attempt < (fallback ? NetworkPorts.FallbackAttempts : PortAttempts);
            var udpEndPoint = new IPEndPoint(families.Primary, port);
            SharedUdpPort? udp = null;
            if (udpWanted)
            {
                try
                {
                    udp = SharedUdpPort.Bind(udpEndPoint, random, time: time);
                    LogUtpClosings(udp, logger);
                }
                catch (SocketException) when ((current.BtPort == 0 || fallback) && retry)
                {
                    continue;
                }
                catch (SocketException ex)
                {
                    throw new NodeStartException(
                        $"Cannot listen on UDP {udpEndPoint} for {UdpPurpose(current.BtDht)}: {ex.Message}. Is another client running? Choose another port with --bt-port{(current.BtDht ? ", or turn the DHT off with --no-bt-dht" : string.Empty)}.", ex);
                }
            }

            var transport = new DualPeerTransport(TcpPeerTransport.Default, _transportMode, time: time);
            if (udp is not null)
            {
                transport.AddUtp(new UtpPeerTransport(udp.Utp), udp.LocalEndPoint.AddressFamily);
            }

            try
            {
                _client = await StartClientAsync(families.Primary, udp?.LocalEndPoint.Port ?? port, transport);
                _udp = udp;
                _transport = transport;
                break;
            }
            catch (NodeStartException) when ((current.BtPort == 0 || fallback) && retry)
            {
                await DisposeQuietlyAsync(udp);
            }
            catch
            {
                await DisposeQuietlyAsync(udp);
                throw;
            }
        }

        if (fallback && _client.LocalEndPoint.Port != current.BtPort)
        {
            LogPortFallback(logger, current.BtPort, _client.LocalEndPoint.Port);
        }

        if (current.BtDht)
        {
            _dht = TorrentDht.Start(
                _udp!.Others,
                bootstrap,
                current.AllowLan,
                store.DatabasePath,
                time,
                random,
                logger,
                (seen, node) => externalAddress.Report(seen.Address, Reachability.ExternalAddressSource.MainlineDht, node.Address));
        }

        var endPoints = new List<NetworkEndPoint>();
        AddEndPoints(endPoints, _client.LocalEndPoint, _udp?.LocalEndPoint);
        _ipv6 = new Ipv6Side(families, logger);
        if (families.Ipv6 is { } ipv6)
        {
            StartIpv6(endPoints, ipv6, _client.LocalEndPoint.Port, udpWanted);
        }

        _endPoints = endPoints;
        foreach (var endPoint in endPoints.Where(endPoint => endPoint.Role == "peers"))
        {
            LogListening(logger, "TCP", endPoint.EndPoint);
        }

        foreach (var endPoint in endPoints.Where(endPoint => _transportMode != PeerTransportMode.Tcp && endPoint.Protocol == "udp"))
        {
            LogListening(logger, "uTP", endPoint.EndPoint);
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

        _sessionTicks.Dispose();
        if (_dht is not null)
        {
            await _dht.DisposeAsync();
        }

        // The UDP ports last: the client's uTP connections and the DHT ran over them.
        await DisposeQuietlyAsync(_udp);
        await DisposeQuietlyAsync(_udp6);
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
                ["transport"] = settings.Current.BtTransport,
                ["utp"] = DescribeUtp(),
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
        Transport = _transport,
        DhtPort = _dht?.LocalEndPoint.Port,
        OnDhtNode = endPoint => _dht?.AddNode(endPoint),
        OnExternalAddress = (seen, peer) => externalAddress.Report(seen, Reachability.ExternalAddressSource.PeerHandshake, peer),
        TickStagger = TimeSpan.FromSeconds(1), // thousands of torrents resumed at a start do not tick together
        TickTime = _sessionTicks, // and their timers wake the node ten times a second, not thousands of times
    };

    internal static EncryptionMode EncryptionModeOf(string setting) => setting switch
    {
        "require" => EncryptionMode.Require,
        "disable" => EncryptionMode.Disable,
        _ => EncryptionMode.Prefer,
    };

    private async Task<BitTorrentClient> StartClientAsync(IPAddress bind, int port, DualPeerTransport transport)
    {
        var client = new BitTorrentClient(
            new BitTorrentClientOptions
            {
                ListenEndPoint = new IPEndPoint(bind, port),
                SessionOptions = SessionOptions,
                Log = message => LogEngine(logger, message),
                Http = Http,
                Transport = transport,
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
                $"Cannot listen on {(transport.Mode == PeerTransportMode.Utp ? "uTP" : "TCP")} {new IPEndPoint(bind, port)} for BitTorrent peers: {ex.Message}. Is another client running? Choose another port with --bt-port or the 'bt_port' setting.", ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "BitTorrent port {Requested} is taken (another node?); using {Port} instead.")]
    private static partial void LogPortFallback(ILogger logger, int requested, int port);

    [LoggerMessage(Level = LogLevel.Information, Message = "BitTorrent peers on {Transport} {EndPoint}")]
    private static partial void LogListening(ILogger logger, string transport, IPEndPoint endPoint);

    [LoggerMessage(Level = LogLevel.Debug, Message = "BitTorrent: {Message}")]
    internal static partial void LogEngine(ILogger logger, string message);
}
