using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using SmartShare.Lbry;
using SmartShare.Lbry.Dht;
using SmartShare.Node.Downloads;
using SmartShare.Node.Hosting;
using SmartShare.Node.Settings;

namespace SmartShare.Node.Networks;

/// <summary>
/// The LBRY network: the LBRY DHT on UDP <c>port</c>, the blob-exchange server on the same TCP port (where lbry-sdk
/// downloaders look for it), the loop that joins the DHT (<see cref="DhtMembership"/>) and the loop that announces
/// local streams (<see cref="Hosting.Announcer"/>). On stop it saves the DHT contacts for the next start.
/// </summary>
public sealed partial class LbryNetwork(
    LbryStorage storage,
    FileStore files,
    Transfers.UploadLedger uploads,
    Limits.BandwidthLimits limits,
    NodeSettingsStore settings,
    NodeRuntime runtime,
    TimeProvider time,
    IRandomSource random,
    ILoggerFactory loggers,
    BlobStorage.BlobHosting? hosting = null) : INetworkService, IAsyncDisposable
{
    private const int PortAttempts = 10;

    private readonly ILogger _logger = loggers.CreateLogger<LbryNetwork>();
    private LbryDhtService? _dht;
    private DhtMembership? _membership;
    private Announcer? _announcer;
    private BlobServerHost? _blobServer;
    private IReadOnlyList<NetworkEndPoint> _endPoints = [];
    private Ipv6Side? _ipv6;
    private int _stopped;

    public string Name => "lbry";

    public IReadOnlyList<NetworkEndPoint> EndPoints => _endPoints;

    public LbryDhtService Dht => Started(_dht);

    public DhtMembership Membership => Started(_membership);

    /// <summary>Announces local streams; still readable after stop.</summary>
    public Announcer Announcer => Started(_announcer);

    public BlobServerHost BlobServer => Started(_blobServer);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var current = settings.Current;
        // The LBRY DHT stays IPv4: lbry-sdk's compact addresses are 4 bytes. The blob server listens on IPv6 too.
        var families = ListenFamilies.Of(settings);
        var bindAddress = families.Primary;
        var bootstrap = await EndPointNames.ResolveSettingAsync(current.Bootstrap, NodeSettingKeys.Bootstrap, cancellationToken);
        try
        {
            _dht = StartDht(bindAddress, current, bootstrap);
        }
        catch (SocketException ex)
        {
            throw new NodeStartException(
                $"Cannot listen on UDP {bindAddress}:{current.Port} for the LBRY DHT: {ex.Message}. Is another node running? Choose another port with --port or the 'port' setting.", ex);
        }

        _membership = new DhtMembership(_dht, time, loggers.CreateLogger<DhtMembership>());
        _announcer = new Announcer(storage, _dht, _membership, settings, files, time, loggers.CreateLogger<Announcer>());
        _blobServer = new BlobServerHost(storage, _dht, settings, time, uploads, limits, hosting);
        await _blobServer.StartAsync(cancellationToken);
        var endPoints = new List<NetworkEndPoint>
        {
            new("dht", "udp", _dht.LocalEndPoint),
            new("blob_exchange", "tcp", _blobServer.LocalEndPoint!),
        };
        _ipv6 = new Ipv6Side(families, _logger);
        if (families.Ipv6 is { } ipv6)
        {
            var (server, port) = (_blobServer, _blobServer.LocalEndPoint!.Port);
            if (_ipv6.TryBind($"TCP [{ipv6}]:{port} for blob exchange", () => server.ListenAlso(new IPEndPoint(ipv6, port))) is { } blobs6)
            {
                endPoints.Add(new NetworkEndPoint("blob_exchange", "tcp", blobs6));
            }
        }

        _endPoints = endPoints;
        await _membership.StartAsync(cancellationToken);
        await _announcer.StartAsync(cancellationToken);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        await StopLoopAsync(_announcer, cancellationToken);
        await StopLoopAsync(_membership, cancellationToken);
        if (_blobServer is not null)
        {
            await _blobServer.DisposeAsync();
        }

        if (_dht is not null)
        {
            if (!runtime.Transient)
            {
                _dht.SaveContacts();

                // A start that failed reports its one error, not a shutdown.
                if (runtime.Started)
                {
                    LogStopped(_logger, _dht.Engine.RoutingTable.Count);
                }
            }
            await _dht.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        _announcer?.Dispose();
        _membership?.Dispose();
    }

    public JsonObject? Describe()
    {
        var dht = _dht;
        return dht is null
            ? null
            : new JsonObject
            {
                ["node_id"] = dht.Engine.Id.ToString(),
                ["udp_port"] = dht.LocalEndPoint.Port,
                ["address"] = dht.LocalEndPoint.Address.ToString(),
                ["contacts"] = dht.Engine.RoutingTable.Count,
                ["joined"] = _membership?.IsJoined ?? false,
                ["bootstrap"] = settings.Current.Bootstrap.Count,
                ["saved_contacts"] = storage.Contacts.Load().Count,
                ["ipv6"] = _ipv6?.ToJson(),
            };
    }

    // Port 0 means any free port, but the blob server then needs the same number on TCP: take a number free on
    // both (probed on TCP first), so another program's TCP socket on the DHT's UDP port cannot stop the start. The
    // default port, when taken (a second node on this machine), gives way to the next number free on both; a port
    // the user chose stays an error.
    private LbryDhtService StartDht(IPAddress bindAddress, NodeSettings current, IReadOnlyList<IPEndPoint> bootstrap)
    {
        if (current.Port != 0 && !NetworkPorts.IsDefault(settings, NodeSettingKeys.Port))
        {
            return LbryDhtService.Start(storage, bindAddress, current.Port, bootstrap, current.AllowLan, time, random, persistent: !runtime.Transient);
        }

        for (var attempt = 1; ; attempt++)
        {
            var port = current.Port == 0 ? NetworkPorts.FreeTcpPort(bindAddress) : current.Port + attempt - 1;
            if (current.Port != 0 && attempt < NetworkPorts.FallbackAttempts && !NetworkPorts.IsTcpPortFree(bindAddress, port))
            {
                continue;
            }

            try
            {
                var dht = LbryDhtService.Start(storage, bindAddress, port, bootstrap, current.AllowLan, time, random, persistent: !runtime.Transient);
                if (port != current.Port && current.Port != 0)
                {
                    LogPortFallback(_logger, current.Port, port);
                }

                return dht;
            }
            catch (SocketException) when (attempt < (current.Port == 0 ? PortAttempts : NetworkPorts.FallbackAttempts))
            {
                // That number is taken on UDP: try another.
            }
        }
    }

    private static async Task StopLoopAsync(Microsoft.Extensions.Hosting.BackgroundService? loop, CancellationToken cancellationToken)
    {
        if (loop is null)
        {
            return;
        }

        try
        {
            await loop.StopAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Past the host's time limit the loop is abandoned; the DHT is still saved and closed.
        }
    }

    private static T Started<T>(T? value)
        where T : class =>
        value ?? throw new InvalidOperationException("The LBRY network has not been started.");

    [LoggerMessage(Level = LogLevel.Warning, Message = "LBRY port {Requested} is taken (another node?); using {Port} instead.")]
    private static partial void LogPortFallback(ILogger logger, int requested, int port);

    [LoggerMessage(Level = LogLevel.Information, Message = "Node stopped; {Contacts} DHT contacts saved for the next start.")]
    private static partial void LogStopped(ILogger logger, int contacts);
}
