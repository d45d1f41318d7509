using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SmartShare.Lbry;
using SmartShare.Lbry.Dht;
using SmartShare.Node.Api;
using SmartShare.Node.Downloads;
using SmartShare.Node.Http;
using SmartShare.Node.Limits;
using SmartShare.Node.Logging;
using SmartShare.Node.Networks;
using SmartShare.Node.Reachability;
using SmartShare.Node.Settings;
using SmartShare.Node.Web;

namespace SmartShare.Node.Hosting;

/// <summary>
/// The long-running node: opens the storage, starts each network (<see cref="INetworkService"/>: LBRY, then
/// BitTorrent), then the JSON-RPC API (Kestrel, behind <see cref="RequestGuard"/>) and the hosted services (the
/// transfers, and whatever <see cref="ConfigureServices"/> adds); on stop it stops them in reverse order (each network
/// saving what it learned) and flushes the logs. Add services and HTTP endpoints before <see cref="StartAsync"/>.
/// </summary>
public sealed partial class NodeHost : IAsyncDisposable
{
    public const string LogFileName = "smartshare.log";
    public const string LogFolderName = "logs";

    private static readonly TimeSpan ShutdownTimeLimit = TimeSpan.FromSeconds(10);

    private readonly NodeHostOptions _options;
    private readonly List<Action<IServiceCollection>> _serviceHooks = [];
    private readonly List<Action<IEndpointRouteBuilder>> _endpointHooks = [];
    private readonly Lock _lock = new();
    private readonly List<INetworkService> _networks = [];
    private readonly Api.InProcessCalls _inProcessCalls = new();
    private WebApplication? _app;
    private readonly ApiConnectionSlots _apiSlots;
    private LbryNetwork? _lbry;
    private bool _appStarting;
    private bool _nodeFileWritten;
    private Task? _stopping;
    private int _started;

    public NodeHost(NodeHostOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.ServeHttp && (options.RecordNodeFile || options.WarmUp))
        {
            // Both are about the HTTP API: a node file points other commands at it, the warm-up calls it over a socket.
            throw new ArgumentException("A node that serves no HTTP neither records a node file nor warms its API up.", nameof(options));
        }

        _options = options;
        DataDirectory = Path.GetFullPath(options.DataDirectory);
        _apiSlots = new ApiConnectionSlots(options.Time);
    }

    /// <summary>The API listener's per-host connection slots.</summary>
    internal ApiConnectionSlots ApiSlots => _apiSlots;

    public string DataDirectory { get; }

    /// <summary>Where a damaged database was moved at start (<see cref="NodeHostOptions.RecoverDatabase"/>), or null.</summary>
    public string? RecoveredDatabase { get; private set; }

    /// <summary>The settings in effect (available after <see cref="StartAsync"/>).</summary>
    public NodeSettingsStore Settings => Running(_settings);

    /// <summary>The API's actual address, with the port bound when the setting asked for port 0.</summary>
    public Uri ApiUri => Running(_apiUri);

    /// <summary>The DHT's actual UDP address.</summary>
    public IPEndPoint DhtEndPoint => Dht.LocalEndPoint;

    public LbryDhtService Dht => Running(_lbry).Dht;

    public LbryStorage Storage => Running(_storage);

    /// <summary>Announces local streams; <see cref="Announcer.AnnounceNowAsync"/> for a stream shared or completed while running. Still readable after stop.</summary>
    public Announcer Announcer => Running(_lbry).Announcer;

    /// <summary>The networks in the order they started (a failed start lists those it began).</summary>
    public IReadOnlyList<INetworkService> Networks => _networks;

    /// <summary>The node's services (from <see cref="StartAsync"/> until the node stops).</summary>
    public IServiceProvider Services => Running(_app).Services;

    /// <summary>
    /// A handler that answers JSON-RPC calls to this node's API inside this process (the same answers as over HTTP,
    /// without the loopback round trip); other requests go to <see cref="ApiUri"/> over the network. For a
    /// <see cref="Client.NodeApiClient"/> in the process that runs the node.
    /// </summary>
    public HttpMessageHandler CreateInProcessApiHandler() =>
        new Api.InProcessApiHandler(Services.GetRequiredService<Api.JsonRpcEndpoint>(), _inProcessCalls, ApiUri);

    private NodeSettingsStore? _settings;
    private LbryStorage? _storage;
    private ApiAccess? _access;
    private Uri? _apiUri;

    /// <summary>Adds services before start: an <see cref="IRpcMethodProvider"/>, an <see cref="IStatusContributor"/>, hosted services.</summary>
    public NodeHost ConfigureServices(Action<IServiceCollection> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        EnsureNotStarted();
        _serviceHooks.Add(configure);
        return this;
    }

    /// <summary>Adds HTTP endpoints before start (for example <c>/stream/{sd_hash}</c>).</summary>
    public NodeHost ConfigureEndpoints(Action<IEndpointRouteBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        EnsureNotStarted();
        _endpointHooks.Add(configure);
        return this;
    }

    /// <summary>Loads settings, opens the storage, starts the networks, binds the API, and starts the hosted services.</summary>
    /// <exception cref="NodeSettingsException">A setting is wrong.</exception>
    /// <exception cref="NodeStartException">A port is taken or a bootstrap host cannot be resolved.</exception>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("The node was already started.");
        }

        var settingsStore = _options.Settings ?? NodeSettingsStore.Load(DataDirectory);
        var settings = settingsStore.Current;
        var (apiAddress, requestedApiPort) = ApiEndPoint(settings.Api);
        var apiPort = _options.ServeHttp ? ApiPortToUse(settingsStore, apiAddress, requestedApiPort) : requestedApiPort;
        if (!IPAddress.IsLoopback(apiAddress) && settings.ApiPasswordHash.Length == 0)
        {
            throw new NodeSettingsException(
                $"The API would listen on {settings.Api}, beyond this machine, with no password. Set one first with `smartshare password set`, or keep the API on 127.0.0.1.");
        }

        // A default port that is taken gives way to the next one, so a second start on the same data directory would
        // no longer stop at a taken port: the node file stops it here, before the storage is opened twice.
        if (_options.RecordNodeFile && NodeFile.Read(DataDirectory) is { } running && running.ProcessId != Environment.ProcessId)
        {
            throw new NodeStartException(
                $"A node is already running on {DataDirectory} (process {running.ProcessId}, API {running.Api.GetLeftPart(UriPartial.Authority)}); stop it with `smartshare stop --data-dir {DataDirectory}`, or start this one with another --data-dir.");
        }

        if (_options.Storage is null)
        {
            RecoveredDatabase = DatabaseStartup.Check(DataDirectory, _options.RecoverDatabase, _options.Time);
        }

        var storage = _options.Storage ?? LbryStorage.Open(DataDirectory, time: _options.Time, cancellationToken: cancellationToken);
        _settings = settingsStore;
        _storage = storage;
        try
        {
            _app = Build(settingsStore, storage, apiAddress, apiPort);
            var logger = _app.Services.GetRequiredService<ILogger<NodeHost>>();
            LogStartupReport(logger, storage);
            if (apiPort != requestedApiPort)
            {
                LogApiPortFallback(logger, requestedApiPort, apiPort);
            }

            // The networks first, the same way for each: what runs above them (the API, the transfers) needs their DHTs.
            _lbry = _app.Services.GetRequiredService<LbryNetwork>();
            foreach (var network in _app.Services.GetServices<INetworkService>())
            {
                _networks.Add(network);
                await network.StartAsync(cancellationToken);
            }

            // Only a node that holds its ports writes the local token: a second start on the same data directory
            // stops at a taken port above and leaves the running node's token alone.
            if (_options.ServeHttp)
            {
                _access = ApiAccess.Create(settingsStore, _options.Time, DataDirectory, new ApiHostNames(apiAddress, settings.ApiHosts));
                MapEndpoints(_app);
            }
            else
            {
                // The methods are made now, as mapping them would: they take their networks' state from the start.
                _app.Services.GetRequiredService<JsonRpcEndpoint>();
            }

            _appStarting = true;
            try
            {
                await _app.StartAsync(cancellationToken);
            }
            catch (IOException ex)
            {
                throw new NodeStartException(
                    $"Cannot listen for the API on {settings.Api}: {ex.Message} Is another node running? Choose another address with --api or the 'api' setting.", ex);
            }

            _apiUri = BoundApiUri(_app, _options.ServeHttp, apiAddress);
            var runtime = _app.Services.GetRequiredService<NodeRuntime>();
            var access = _access;
            runtime.ApiUri = _apiUri;
            var http = _app.Services.GetRequiredService<Microsoft.AspNetCore.Http.IHttpContextAccessor>();
            runtime.StreamLinks = new Streaming.StreamLinks(
                _apiUri,
                hash => access is { PasswordRequired: true } ? access.StreamToken(hash) : null,
                () => http.HttpContext?.Request.Host is { HasValue: true } host ? host.Value : null);
            var api = _options.ServeHttp ? _apiUri.GetLeftPart(UriPartial.Authority) : "no HTTP port (in-process calls only)";
            if (_options.RecordNodeFile)
            {
                NodeFile.Write(DataDirectory, _apiUri);
                _nodeFileWritten = true;
            }

            runtime.Started = true;
            if (_options.WarmUp)
            {
                await WarmUpAsync(_apiUri, logger, cancellationToken);
            }

            LogStarted(logger, api, Dht.LocalEndPoint, Dht.Engine.Id.ToString()[..16]);
        }
        catch
        {
            await StopAsync(CancellationToken.None);
            throw;
        }
    }

    /// <summary>
    /// Completes when the node is asked to stop (the <c>stop</c> method, or <paramref name="cancellationToken"/>),
    /// after it has stopped cleanly.
    /// </summary>
    public async Task WaitForShutdownAsync(CancellationToken cancellationToken)
    {
        var lifetime = Running(_app).Services.GetRequiredService<IHostApplicationLifetime>();
        var asked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStopping.Register(() => asked.TrySetResult()))
        using (cancellationToken.Register(() => asked.TrySetResult()))
        {
            await asked.Task;
        }

        await StopAsync(CancellationToken.None);
    }

    /// <summary>Stops the API and hosted services, then the networks (which save their contacts and close their ports), and flushes the logs. Safe to call twice.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return _stopping ??= StopCoreAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Volatile.Read(ref _started) != 0)
        {
            await StopAsync(CancellationToken.None);
        }
    }

    private async Task StopCoreAsync(CancellationToken cancellationToken)
    {
        var app = _app;
        if (_nodeFileWritten)
        {
            // First: from here on commands must not find this node by its data directory.
            NodeFile.RemoveOwn(DataDirectory);
        }

        // Wall-clock on purpose: this bounds how long the process waits to exit, like HostOptions.ShutdownTimeout
        // (which the host measures on the system clock too); a fake node clock nobody advances must not hang it.
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(ShutdownTimeLimit);
        if (app is not null && _appStarting)
        {
            try
            {
                // The in-process API's calls first, as Kestrel's stop below waits for its requests.
                await _inProcessCalls.WhenAllEndedAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                // Past the time limit they are abandoned, as requests are.
            }

            try
            {
                await app.StopAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                // Past the time limit the remaining work is abandoned; the networks still save and close below.
            }
        }

        for (var i = _networks.Count - 1; i >= 0; i--)
        {
            await _networks[i].StopAsync(limit.Token);
        }

        _access?.Dispose();
        if (app is not null)
        {
            // Disposing the app disposes the logger providers, which flushes the log file.
            await app.DisposeAsync();
        }
    }

    // The services only: endpoints are mapped once the networks run (the RPC methods take their DHTs).
    private WebApplication Build(NodeSettingsStore settings, LbryStorage storage, IPAddress apiAddress, int apiPort)
    {
        var builder = NewWebBuilder(_options.ServeHttp);
        if (_options.ServeHttp)
        {
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(apiAddress, apiPort, listen => listen.Use(_apiSlots.Connections)));
        }

        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = ShutdownTimeLimit);

        builder.Logging.SetMinimumLevel(_options.Verbose ? LogLevel.Debug : LogLevel.Information);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("System", LogLevel.Warning);
        builder.Logging.AddProvider(new FileLoggerProvider(Path.Combine(DataDirectory, LogFolderName, LogFileName), time: _options.Time));
        if (_options.ConsoleLogging)
        {
            builder.Logging.AddConsoleFormatter<ConciseConsoleFormatter, ConciseConsoleFormatterOptions>(options => options.IncludeStackTraces = _options.Verbose);
            builder.Logging.AddConsole(options =>
            {
                options.FormatterName = ConciseConsoleFormatter.FormatterName;
                options.LogToStandardErrorThreshold = LogLevel.Trace;
            });
        }

        var services = builder.Services;
        // The CLI turns Ctrl-C and SIGTERM into a token; the host must not install handlers that race it.
        services.AddSingleton<IHostLifetime, NodeHostLifetime>();
        services.AddSingleton(_options.Time);
        services.AddHostedService<MemoryRelief>();
        services.AddSingleton(_options.Random);
        services.AddSingleton(settings);
        services.AddSingleton(_ => Running(_access));
        services.AddSingleton<RequestGuard>();
        services.AddHttpContextAccessor();
        services.AddSingleton(storage);
        services.AddSingleton(new NodeRuntime(_options.Time, DataDirectory, storage.StartupReport) { Transient = _options.Transient });
        services.AddSingleton<NodeShutdown>();
        services.AddReachability();
        services.AddNetworks();
        services.AddSingleton<IRpcMethodProvider, NodeRpcMethods>();
        services.AddSingleton<IRpcMethodProvider, SettingsRpcMethods>();
        services.AddSingleton<IRpcMethodProvider, BlobRpcMethods>();
        services.AddSingleton(provider => new JsonRpcMethods(provider.GetServices<IRpcMethodProvider>()));
        services.AddSingleton<JsonRpcEndpoint>();
        services.AddStreamTransfers(DataDirectory);
        services.AddBandwidthLimits(DataDirectory);
        services.AddWebApi();
        foreach (var hook in _serviceHooks)
        {
            hook(services);
        }

        return builder.Build();
    }

    private static void LogStartupReport(ILogger logger, LbryStorage storage)
    {
        var report = storage.StartupReport;
        if (report.Added.Count > 0)
        {
            LogBlobsAdded(logger, report.Added.Count, storage.Blobs.Directory);
        }

        foreach (var hash in report.Missing)
        {
            LogBlobMissing(logger, hash, storage.Blobs.Directory);
        }

        foreach (var hash in report.Corrupt)
        {
            LogBlobCorrupt(logger, hash);
        }
    }

    private static T Running<T>(T? value)
        where T : class =>
        value ?? throw new InvalidOperationException("The node has not been started.");

    private void EnsureNotStarted()
    {
        if (Volatile.Read(ref _started) != 0)
        {
            throw new InvalidOperationException("Services and endpoints must be added before the node starts.");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "API on {Api}, LBRY DHT listening on UDP {Dht} as node {NodeId}...")]
    private static partial void LogStarted(ILogger logger, string api, IPEndPoint dht, string nodeId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "API port {Requested} is taken (another node?); using {Port} instead.")]
    private static partial void LogApiPortFallback(ILogger logger, int requested, int port);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} blob file(s) found in {Directory} were checked and added to the index.")]
    private static partial void LogBlobsAdded(ILogger logger, int count, string directory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Blob {Hash} is missing from {Directory}; it was removed from the index.")]
    private static partial void LogBlobMissing(ILogger logger, SmartShare.Lbry.Blobs.BlobHash hash, string directory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Blob {Hash} was damaged (its content no longer matches its hash); it was deleted.")]
    private static partial void LogBlobCorrupt(ILogger logger, SmartShare.Lbry.Blobs.BlobHash hash);
}
