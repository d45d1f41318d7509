using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SmartShare.Node.Hosting;
using SmartShare.Node.Networks;
using SmartShare.Node.Settings;

namespace SmartShare.Node.Reachability;

/// <summary>
/// Keeps the home router forwarding the node's ports: every port a network has bound beyond loopback (LBRY's UDP
/// DHT and TCP blob exchange, BitTorrent's TCP peers and UDP DHT), mapped to the same external port where the
/// router agrees. It tries the registered <see cref="IPortMappingProtocol"/>s in order: <c>pcp</c>, then
/// <c>nat-pmp</c>, then any other (UPnP) in registration order, and keeps the first whose router answers. Leases
/// are renewed at half the time granted; a router that vanishes is looked for again with doubling waits; every
/// mapping is made again when the protocol says the router restarted; all are deleted on stop (bounded in time)
/// or when the <c>port_mapping</c> setting is turned off. The router's external address goes to
/// <see cref="IExternalAddressSink"/>. Every wait runs on the node's <see cref="TimeProvider"/>.
/// </summary>
public sealed partial class PortMappingService : IPortMappings, IStatusContributor, IHostedService, IDisposable
{
    /// <summary>How often a wait looks again at the settings and the bound ports.</summary>
    public static readonly TimeSpan SettingsPoll = TimeSpan.FromSeconds(5);

    /// <summary>The first wait after a failure; it doubles up to <see cref="MaxRetryDelay"/>.</summary>
    public static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(10);

    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMinutes(10);

    /// <summary>The most time stopping spends deleting mappings.</summary>
    public static readonly TimeSpan UnmapTimeLimit = TimeSpan.FromSeconds(3);

    private readonly IReadOnlyList<IPortMappingProtocol> _protocols;
    private readonly IEnumerable<INetworkService> _networks;
    private readonly IExternalAddressSink _sink;
    private readonly NodeSettingsStore _settings;
    private readonly TimeProvider _time;
    private readonly ILogger<PortMappingService> _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Protocol, int Port), PortMapping> _mappings = [];
    private CancellationTokenSource _wake = new();
    private CancellationTokenSource? _stop;
    private Task _loop = Task.CompletedTask;
    private IPortMappingProtocol? _active;
    private string _state = "off";
    private string _reason = "The node has not started port mapping yet.";
    private IPAddress? _externalAddress;
    private int _restarts;
    private int _restartPending;
    private DateTimeOffset? _wakeAt;

    public PortMappingService(
        IEnumerable<IPortMappingProtocol> protocols,
        IEnumerable<INetworkService> networks,
        IExternalAddressSink sink,
        NodeSettingsStore settings,
        TimeProvider time,
        ILogger<PortMappingService> logger)
    {
        ArgumentNullException.ThrowIfNull(protocols);
        _protocols = [.. protocols.OrderBy(protocol => protocol.Name switch { "pcp" => 0, "nat-pmp" => 1, _ => 2 })];
        _networks = networks;
        _sink = sink;
        _settings = settings;
        _time = time;
        _logger = logger;
        foreach (var protocol in _protocols)
        {
            protocol.GatewayRestarted += () => OnGatewayRestarted(protocol);
        }
    }

    public string Section => "port_mapping";

    public IReadOnlyList<PortMapping> Current
    {
        get
        {
            lock (_lock)
            {
                return [.. _mappings.Values];
            }
        }
    }

    /// <summary>off, searching, mapped or failed.</summary>
    public string State
    {
        get
        {
            lock (_lock)
            {
                return _state;
            }
        }
    }

    /// <summary>How many times the router was seen to restart (and everything was mapped again).</summary>
    public int Restarts => Volatile.Read(ref _restarts);

    /// <summary>When the loop next acts by itself (a renewal or a retry); null while it works. For tests.</summary>
    internal DateTimeOffset? WakeAt
    {
        get
        {
            lock (_lock)
            {
                return _wakeAt;
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _stop = new CancellationTokenSource();
        _loop = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stop is null)
        {
            return;
        }

        await _stop.CancelAsync();
        try
        {
            await _loop.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The loop ends at its next await; the mappings are deleted below either way.
        }

        await UnmapAllAsync(_active, cancellationToken);
        SetState("off", "The node stopped and deleted its port mappings.");
    }

    public void Dispose()
    {
        _stop?.Dispose();
        _wake.Dispose();
    }

    private async Task RunAsync(CancellationToken stop)
    {
        var retry = TimeSpan.Zero;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var wanted = Wanted();
                if (!_settings.Current.PortMapping || wanted.Count == 0)
                {
                    await UnmapAllAsync(_active, stop);
                    SetState("off", !_settings.Current.PortMapping
                        ? "Port mapping is turned off (the port_mapping setting)."
                        : "The node listens on loopback only, which a router cannot forward to.");
                    await NapAsync(SettingsPoll, stop);
                    continue;
                }

                if (_active is null && !await DiscoverAsync(stop))
                {
                    retry = NextRetry(retry);
                    SetState("failed", $"No router answered {string.Join(", ", _protocols.Select(p => p.Name))}; looking again in {Seconds(retry)}.");
                    await WaitUntilAsync(_time.GetUtcNow() + retry, wanted, stop);
                    continue;
                }

                var failure = await MapAllAsync(_active!, wanted, stop);
                int mapped;
                lock (_lock)
                {
                    mapped = _mappings.Count;
                }

                if (mapped == 0)
                {
                    retry = NextRetry(retry);
                    lock (_lock)
                    {
                        _active = null;
                    }

                    SetState("failed", $"{failure} Trying again in {Seconds(retry)}.");
                    await WaitUntilAsync(_time.GetUtcNow() + retry, wanted, stop);
                    continue;
                }

                retry = TimeSpan.Zero;
                await LearnExternalAddressAsync(_active!, stop);
                SetState("mapped", failure is null
                    ? $"The router forwards {mapped} ports through {_active!.Name}."
                    : $"The router forwards {mapped} of {wanted.Count} ports through {_active!.Name}; {failure}");
                await WaitUntilAsync(RenewalTime(failure is not null), wanted, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception error) when (error is PortMappingException or System.Net.Sockets.SocketException or IOException)
            {
                retry = NextRetry(retry);
                lock (_lock)
                {
                    _active = null;
                }

                SetState("failed", $"{error.Message} Trying again in {Seconds(retry)}.");
                await WaitQuietlyAsync(_time.GetUtcNow() + retry, stop);
            }
        }
    }

    /// <summary>The (protocol, port) pairs the networks have bound beyond loopback, each once.</summary>
    private List<(string Protocol, int Port)> Wanted() =>
        [.. _networks
            .SelectMany(network => network.EndPoints)
            .Where(endPoint => !IPAddress.IsLoopback(endPoint.EndPoint.Address) && endPoint.EndPoint.Port != 0)
            .Select(endPoint => (endPoint.Protocol, endPoint.EndPoint.Port))
            .Distinct()];

    private async Task<bool> DiscoverAsync(CancellationToken stop)
    {
        SetState("searching", $"Looking for a router that speaks {string.Join(", ", _protocols.Select(p => p.Name))}.");
        foreach (var protocol in _protocols)
        {
            bool found;
            try
            {
                found = await protocol.DiscoverAsync(stop);
            }
            catch (Exception error) when (error is PortMappingException or System.Net.Sockets.SocketException or IOException)
            {
                LogDiscoveryFailed(protocol.Name, error.Message);
                found = false;
            }

            if (found)
            {
                lock (_lock)
                {
                    _active = protocol;
                }

                LogFound(protocol.Name);
                return true;
            }
        }

        return false;
    }

    /// <summary>Maps (or renews) every wanted port; returns the first failure's sentence, or null when all were mapped.</summary>
    private async Task<string?> MapAllAsync(IPortMappingProtocol protocol, List<(string Protocol, int Port)> wanted, CancellationToken stop)
    {
        ConsumeRestart();
        var lease = TimeSpan.FromSeconds(_settings.Current.PortMappingLeaseSeconds);
        string? failure = null;
        foreach (var key in wanted)
        {
            PortMapping? previous;
            lock (_lock)
            {
                previous = _mappings.GetValueOrDefault(key);
            }

            try
            {
                var granted = await protocol.MapAsync(key.Protocol, key.Port, previous?.External.Port ?? key.Port, lease, stop);
                lock (_lock)
                {
                    _mappings[key] = granted;
                }

                if (previous is null || !previous.External.Equals(granted.External))
                {
                    LogMapped(key.Protocol, key.Port, granted.External, granted.Method);
                }
            }
            catch (PortMappingException error)
            {
                failure ??= error.Message;
                lock (_lock)
                {
                    _mappings.Remove(key);
                }

                LogMapFailed(key.Protocol, key.Port, error.Message);
            }
        }

        List<PortMapping> stale;
        lock (_lock)
        {
            stale = [.. _mappings.Where(pair => !wanted.Contains(pair.Key)).Select(pair => pair.Value)];
        }

        foreach (var mapping in stale)
        {
            await UnmapOneAsync(protocol, mapping, stop);
        }

        return failure;
    }

    private async Task LearnExternalAddressAsync(IPortMappingProtocol protocol, CancellationToken stop)
    {
        IPAddress address;
        try
        {
            address = await protocol.GetExternalAddressAsync(stop);
        }
        catch (PortMappingException error)
        {
            LogNoExternalAddress(error.Message);
            address = Current[0].External.Address;
        }

        bool changed;
        lock (_lock)
        {
            changed = !address.Equals(_externalAddress);
            _externalAddress = address;
        }

        var reporter = (protocol as IGatewayAddress)?.Gateway ?? IPAddress.None;
        _sink.Report(address, ExternalAddressSource.Gateway, reporter);
        if (changed)
        {
            LogExternalAddress(address, protocol.Name);
        }
    }

    private DateTimeOffset RenewalTime(bool someFailed)
    {
        var now = _time.GetUtcNow();
        DateTimeOffset renew;
        lock (_lock)
        {
            renew = _mappings.Values
                .Where(mapping => mapping.ExpiresAt != DateTimeOffset.MaxValue)
                .Select(mapping => now + ((mapping.ExpiresAt - now) / 2))
                .DefaultIfEmpty(now + TimeSpan.FromHours(1))
                .Min();
        }

        // A port that could not be mapped is tried again sooner than the others' renewal.
        return someFailed && renew > now + MaxRetryDelay ? now + MaxRetryDelay : renew;
    }

    private async Task UnmapAllAsync(IPortMappingProtocol? protocol, CancellationToken cancellationToken)
    {
        List<PortMapping> mappings;
        lock (_lock)
        {
            mappings = [.. _mappings.Values];
        }

        if (protocol is null || mappings.Count == 0)
        {
            return;
        }

        using var limit = new CancellationTokenSource(UnmapTimeLimit, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, limit.Token);
        await Task.WhenAll(mappings.Select(mapping => UnmapOneAsync(protocol, mapping, linked.Token)));
    }

    private async Task UnmapOneAsync(IPortMappingProtocol protocol, PortMapping mapping, CancellationToken cancellationToken)
    {
        try
        {
            await protocol.UnmapAsync(mapping, cancellationToken);
            LogUnmapped(mapping.Protocol, mapping.InternalPort, mapping.External);
        }
        catch (Exception error) when (error is PortMappingException or OperationCanceledException or System.Net.Sockets.SocketException or IOException)
        {
            LogUnmapFailed(mapping.Protocol, mapping.InternalPort, error.Message);
        }

        lock (_lock)
        {
            _mappings.Remove((mapping.Protocol, mapping.InternalPort));
        }
    }

    private void SetState(string state, string reason)
    {
        lock (_lock)
        {
            _state = state;
            _reason = reason;
            if (state is "off" or "failed" && _mappings.Count == 0)
            {
                _externalAddress = null;
            }
        }
    }

    private static TimeSpan NextRetry(TimeSpan retry) =>
        retry == TimeSpan.Zero ? FirstRetryDelay : retry * 2 > MaxRetryDelay ? MaxRetryDelay : retry * 2;

    private static string Seconds(TimeSpan delay) => $"{delay.TotalSeconds:0} s";
}
