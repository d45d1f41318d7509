using System.Net;
using System.Net.Sockets;
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
using SmartShare.Node.Logging;
using SmartShare.Node.Settings;

namespace SmartShare.Node.Hosting;

/// <summary>
/// The long-running node: opens the storage, starts the LBRY DHT and the JSON-RPC API (Kestrel, behind <see cref="RequestGuard"/>),
/// runs the hosted services (joining, announcing, and whatever <see cref="ConfigureServices"/> adds), and on stop
/// saves the DHT contacts and flushes the logs. Add services and HTTP endpoints before <see cref="StartAsync"/>.
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
    private WebApplication? _app;
    private LbryDhtService? _dht;
    private Announcer? _announcer;
    private Task? _stopping;
    private int _started;

    public NodeHost(NodeHostOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        DataDirectory = Path.GetFullPath(options.DataDirectory);
    }

    public string DataDirectory { get; }

    /// <summary>The settings in effect (available after <see cref="StartAsync"/>).</summary>
    public NodeSettingsStore Settings => Running(_settings);

    /// <summary>The API's actual address, with the port bound when the setting asked for port 0.</summary>
    public Uri ApiUri => Running(_apiUri);

    /// <summary>The DHT's actual UDP address.</summary>
    public IPEndPoint DhtEndPoint => Running(_dht).LocalEndPoint;

    public LbryDhtService Dht => Running(_dht);

    public LbryStorage Storage => Running(_storage);

    /// <summary>Announces local streams; <see cref="Announcer.AnnounceNowAsync"/> for a stream shared or completed while running. Still readable after stop.</summary>
    public Announcer Announcer => Running(_announcer);

    /// <summary>The node's services (from <see cref="StartAsync"/> until the node stops).</summary>
    public IServiceProvider Services => Running(_app).Services;

    private NodeSettingsStore? _settings;
    private LbryStorage? _storage;
    private ApiAccess? _access;
    private Uri? _apiUri;

    // Port 0 means any free port, but the blob server later needs the same number on TCP: take a number free on
    // both (probed on TCP first), so another program's TCP socket on the DHT's UDP port cannot stop the start.
    private LbryDhtService StartDht(LbryStorage storage, IPAddress bindAddress, NodeSettings settings, IReadOnlyList<IPEndPoint> bootstrap)
    {
        if (settings.Port != 0)
        {
            return LbryDhtService.Start(storage, bindAddress, settings.Port, bootstrap, settings.AllowLan, _options.Time, _options.Random, persistent: !_options.Transient);
        }

        for (var attempt = 1; ; attempt++)
        {
            int port;
            using (var probe = new Socket(bindAddress.AddressFamily, SocketType.Stream, ProtocolType.Tcp))
            {
                probe.Bind(new IPEndPoint(bindAddress, 0));
                port = ((IPEndPoint)probe.LocalEndPoint!).Port;
            }

            try
            {
                return LbryDhtService.Start(storage, bindAddress, port, bootstrap, settings.AllowLan, _options.Time, _options.Random, persistent: !_options.Transient);
            }
            catch (SocketException) when (attempt < 10)
            {
                // That number is taken on UDP: try another.
            }
        }
    }

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

    /// <summary>Loads settings, opens the storage, binds the DHT and the API, and starts the hosted services.</summary>
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
        var (apiAddress, apiPort) = ApiEndPoint(settings.Api);
        if (!IPAddress.IsLoopback(apiAddress) && settings.ApiPasswordHash.Length == 0)
        {
            throw new NodeSettingsException(
                $"The API would listen on {settings.Api}, beyond this machine, with no password. Set one first with `smartshare password set`, or keep the API on 127.0.0.1.");
        }

        var bindAddress = IPAddress.Parse(settings.BindAddress);
        var bootstrap = await ResolveEndPointsAsync(settings.Bootstrap, NodeSettingKeys.Bootstrap, cancellationToken);

        var storage = _options.Storage ?? LbryStorage.Open(DataDirectory, time: _options.Time, cancellationToken: cancellationToken);
        LbryDhtService dht;
        try
        {
            dht = StartDht(storage, bindAddress, settings, bootstrap);
        }
        catch (SocketException ex)
        {
            throw new NodeStartException(
                $"Cannot listen on UDP {bindAddress}:{settings.Port} for the LBRY DHT: {ex.Message}. Is another node running? Choose another port with --port or the 'port' setting.", ex);
        }

        _settings = settingsStore;
        _storage = storage;
        _dht = dht;
        try
        {
            _access = ApiAccess.Create(settingsStore, _options.Time, DataDirectory, new ApiHostNames(apiAddress, settings.ApiHosts));
            _app = Build(settingsStore, storage, dht, apiAddress, apiPort, _access);
            _announcer = _app.Services.GetRequiredService<Announcer>();
            var logger = _app.Services.GetRequiredService<ILogger<NodeHost>>();
            LogStartupReport(logger, storage);
            try
            {
                await _app.StartAsync(cancellationToken);
            }
            catch (IOException ex)
            {
                throw new NodeStartException(
                    $"Cannot listen for the API on {settings.Api}: {ex.Message} Is another node running? Choose another address with --api or the 'api' setting.", ex);
            }

            _apiUri = BoundApiUri(_app);
            var runtime = _app.Services.GetRequiredService<NodeRuntime>();
            var access = _access;
            runtime.ApiUri = _apiUri;
            var http = _app.Services.GetRequiredService<Microsoft.AspNetCore.Http.IHttpContextAccessor>();
            runtime.StreamLinks = new Streaming.StreamLinks(
                _apiUri,
                hash => access.PasswordRequired ? access.StreamToken(hash) : null,
                () => http.HttpContext?.Request.Host is { HasValue: true } host ? host.Value : null);
            var api = _apiUri.GetLeftPart(UriPartial.Authority);
            var nodeId = dht.Engine.Id.ToString()[..16];
            LogStarted(logger, api, dht.LocalEndPoint, nodeId);
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

    /// <summary>Stops the API and hosted services, saves the DHT contacts, closes the DHT and flushes the logs. Safe to call twice.</summary>
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
        var dht = _dht;
        ILogger? logger = app?.Services.GetRequiredService<ILogger<NodeHost>>();
        if (app is not null)
        {
            // Wall-clock on purpose: this bounds how long the process waits to exit, like HostOptions.ShutdownTimeout
            // (which the host measures on the system clock too); a fake node clock nobody advances must not hang it.
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(ShutdownTimeLimit);
            try
            {
                await app.StopAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                // Past the time limit the remaining work is abandoned; contacts are still saved below.
            }
        }

        if (dht is not null)
        {
            if (!_options.Transient)
            {
                dht.SaveContacts();
            }

            if (logger is not null)
            {
                LogStopped(logger, dht.Engine.RoutingTable.Count);
            }

            await dht.DisposeAsync();
        }

        _access?.Dispose();
        if (app is not null)
        {
            // Disposing the app disposes the logger providers, which flushes the log file.
            await app.DisposeAsync();
        }
    }

    private WebApplication Build(NodeSettingsStore settings, LbryStorage storage, LbryDhtService dht, IPAddress apiAddress, int apiPort, ApiAccess access)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(NodeHost).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(apiAddress, apiPort);
        });
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = ShutdownTimeLimit);

        builder.Logging.ClearProviders();
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
        services.AddSingleton(_options.Random);
        services.AddSingleton(settings);
        services.AddSingleton(access);
        services.AddSingleton<RequestGuard>();
        services.AddHttpContextAccessor();
        services.AddSingleton(storage);
        services.AddSingleton(dht);
        services.AddSingleton(new NodeRuntime(_options.Time, DataDirectory, storage.StartupReport));
        services.AddSingleton<NodeShutdown>();
        services.AddSingleton<DhtMembership>();
        services.AddHostedService(provider => provider.GetRequiredService<DhtMembership>());
        services.AddSingleton<Announcer>();
        services.AddHostedService(provider => provider.GetRequiredService<Announcer>());
        services.AddSingleton<IRpcMethodProvider, NodeRpcMethods>();
        services.AddSingleton<IRpcMethodProvider, SettingsRpcMethods>();
        services.AddSingleton<IRpcMethodProvider, BlobRpcMethods>();
        services.AddSingleton(provider => new JsonRpcMethods(provider.GetServices<IRpcMethodProvider>()));
        services.AddSingleton<JsonRpcEndpoint>();
        services.AddStreamTransfers(DataDirectory);
        foreach (var hook in _serviceHooks)
        {
            hook(services);
        }

        var app = builder.Build();

        // Before any endpoint, including those added later by hooks: Host, Origin and password.
        var guard = app.Services.GetRequiredService<RequestGuard>();
        app.Use(guard.InvokeAsync);
        LoginEndpoint.Map(app);
        var endpoint = app.Services.GetRequiredService<JsonRpcEndpoint>();
        app.MapPost("/", endpoint.HandleAsync);
        app.MapPost("/api", endpoint.HandleAsync);
        app.MapStreamTransfers();
        foreach (var hook in _endpointHooks)
        {
            hook(app);
        }

        return app;
    }

    /// <summary>The API's listening address: localhost or an IP literal (beyond loopback only with a password, checked at start).</summary>
    internal static (IPAddress Address, int Port) ApiEndPoint(string api)
    {
        if (!Uri.TryCreate(api, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp)
        {
            throw new NodeSettingsException($"api must be an http URL such as {NodeInfo.DefaultApiUrl}, not '{api}'.");
        }

        if (string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return (IPAddress.Loopback, uri.Port);
        }

        if (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address))
        {
            return (address, uri.Port);
        }

        throw new NodeSettingsException($"api must name an IP address to listen on (such as 127.0.0.1 or 0.0.0.0) or localhost, not '{uri.Host}'.");
    }

    private static Uri BoundApiUri(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        var first = addresses?.FirstOrDefault() ?? throw new InvalidOperationException("Kestrel reported no address.");
        return new Uri(first);
    }

    /// <summary>Resolves a HOST:PORT list setting (already checked by the settings); a name that does not resolve stops the start.</summary>
    /// <exception cref="NodeStartException">A host name does not resolve to an IPv4 address.</exception>
    internal static async Task<IReadOnlyList<IPEndPoint>> ResolveEndPointsAsync(IReadOnlyList<string> items, string setting, CancellationToken cancellationToken)
    {
        var endPoints = new List<IPEndPoint>();
        foreach (var text in items)
        {
            var colon = text.LastIndexOf(':');
            var host = text[..colon].Trim('[', ']');
            var port = int.Parse(text.AsSpan(colon + 1), System.Globalization.CultureInfo.InvariantCulture);
            try
            {
                var resolved = await ResolveAsync(host, port, cancellationToken);
                endPoints.Add(resolved.Count > 0 ? resolved[0] : throw new NodeStartException($"The {setting} host '{host}' has no IPv4 address."));
            }
            catch (SocketException ex)
            {
                throw new NodeStartException($"Cannot resolve the {setting} host '{host}': {ex.Message}.", ex);
            }
        }

        return endPoints;
    }

    /// <summary>An address as it is, or the IPv4 addresses a name resolves to.</summary>
    /// <exception cref="SocketException">The name does not resolve.</exception>
    internal static async Task<IReadOnlyList<IPEndPoint>> ResolveAsync(string host, int port, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host.Trim('[', ']'), out var address))
        {
            return [new IPEndPoint(address, port)];
        }

        var addresses = await Dns.GetHostAddressesAsync(host, cancellationToken);
        return [.. addresses.Where(candidate => candidate.AddressFamily == AddressFamily.InterNetwork).Select(candidate => new IPEndPoint(candidate, port))];
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Node stopped; {Contacts} DHT contacts saved for the next start.")]
    private static partial void LogStopped(ILogger logger, int contacts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} blob file(s) found in {Directory} were checked and added to the index.")]
    private static partial void LogBlobsAdded(ILogger logger, int count, string directory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Blob {Hash} is missing from {Directory}; it was removed from the index.")]
    private static partial void LogBlobMissing(ILogger logger, SmartShare.Lbry.Blobs.BlobHash hash, string directory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Blob {Hash} was damaged (its content no longer matches its hash); it was deleted.")]
    private static partial void LogBlobCorrupt(ILogger logger, SmartShare.Lbry.Blobs.BlobHash hash);
}
