using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace SmartShare.Node.Reachability.Upnp;

/// <summary>
/// UPnP IGD port mapping: finds the router by SSDP, reads its description for the WANIPConnection (or
/// WANPPPConnection) control URL, and calls GetExternalIPAddress, AddPortMapping and DeletePortMapping on it.
/// A taken external port (error 718) moves to the next ones, a router that only keeps permanent leases (725) gets
/// lease 0 and the mapping reports <see cref="DateTimeOffset.MaxValue"/>, so the service re-checks it instead of
/// renewing it. A router that stops answering is forgotten and searched for again on the next call.
/// </summary>
public sealed partial class UpnpPortMapping : IPortMappingProtocol, IDisposable
{
    /// <summary>The error a router gives when the external port is mapped to another host or port.</summary>
    public const int ConflictInMappingEntry = 718;

    /// <summary>The error a router gives when it only keeps leases of duration 0 (permanent).</summary>
    public const int OnlyPermanentLeasesSupported = 725;

    /// <summary>The error a router gives when it wants the external port to equal the internal one.</summary>
    public const int SamePortValuesRequired = 724;

    /// <summary>The error a router gives when deleting a mapping it does not hold.</summary>
    public const int NoSuchEntryInArray = 714;

    /// <summary>The longest lease IGD:2 allows (one week).</summary>
    public static readonly TimeSpan MaxLease = TimeSpan.FromSeconds(604800);

    private readonly TimeProvider _time;
    private readonly ILogger<UpnpPortMapping> _logger;
    private readonly UpnpOptions _options;
    private readonly UpnpHttp _http;
    private readonly SemaphoreSlim _discovering = new(1, 1);
    private volatile Gateway? _gateway;

    public UpnpPortMapping(TimeProvider time, ILogger<UpnpPortMapping> logger)
        : this(time, logger, new UpnpOptions())
    {
    }

    public UpnpPortMapping(TimeProvider time, ILogger<UpnpPortMapping> logger, UpnpOptions options)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _time = time;
        _logger = logger;
        _options = options;
        _http = new UpnpHttp(time, options.RequestTimeout);
    }

    public string Name => "upnp";

    /// <summary>UPnP has no epoch to see a restart by; the service's periodic re-check finds lost mappings instead.</summary>
    public event Action? GatewayRestarted
    {
        add { }
        remove { }
    }

    /// <summary>The router's WAN connection service, once discovery found it (for status).</summary>
    public UpnpControlPoint? ControlPoint => _gateway?.ControlPoint;

    /// <summary>This machine's address on the interface that reaches the router: the NewInternalClient of every mapping.</summary>
    public IPAddress? InternalClient => _gateway?.LocalAddress;

    public async Task<bool> DiscoverAsync(CancellationToken cancellationToken)
    {
        await _discovering.WaitAsync(cancellationToken);
        try
        {
            return await DiscoverLockedAsync(cancellationToken);
        }
        finally
        {
            _discovering.Release();
        }
    }

    public async Task<IPAddress> GetExternalAddressAsync(CancellationToken cancellationToken)
    {
        var gateway = await RequireGatewayAsync(cancellationToken);
        var answer = await InvokeAsync(gateway, "GetExternalIPAddress", [], cancellationToken);
        if (!answer.TryGetValue("NewExternalIPAddress", out var text)
            || !IPAddress.TryParse(text, out var address)
            || address.AddressFamily != AddressFamily.InterNetwork
            || address.Equals(IPAddress.Any))
        {
            throw new PortMappingException("The router gave no usable external IPv4 address (it may not be connected to the internet yet).");
        }

        return address;
    }

    public async Task<PortMapping> MapAsync(string protocol, int internalPort, int preferredExternalPort, TimeSpan lease, CancellationToken cancellationToken)
    {
        var wireProtocol = WireProtocol(protocol);
        ArgumentOutOfRangeException.ThrowIfLessThan(internalPort, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(internalPort, 65535);
        ArgumentOutOfRangeException.ThrowIfLessThan(preferredExternalPort, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(preferredExternalPort, 65535);
        if (lease <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(lease), lease, "A UPnP lease must be longer than zero.");
        }

        var gateway = await RequireGatewayAsync(cancellationToken);
        var leaseSeconds = (int)Math.Ceiling(Math.Min(lease.TotalSeconds, MaxLease.TotalSeconds));
        var externalPort = preferredExternalPort;
        var sameTried = false;
        var permanent = false;
        for (var attempt = 0; attempt < _options.ConflictAttempts;)
        {
            try
            {
                await InvokeAsync(gateway, "AddPortMapping", AddArguments(gateway, wireProtocol, externalPort, internalPort, permanent ? 0 : leaseSeconds), cancellationToken);
                var external = await GetExternalAddressAsync(cancellationToken);
                var expiresAt = permanent ? DateTimeOffset.MaxValue : _time.GetUtcNow() + TimeSpan.FromSeconds(leaseSeconds);
                LogMapped(_logger, wireProtocol, internalPort, external, externalPort, permanent ? "permanent" : $"{leaseSeconds} s");
                return new PortMapping(protocol, internalPort, new IPEndPoint(external, externalPort), Name, expiresAt);
            }
            catch (PortMappingException ex) when (ex.ResultCode == OnlyPermanentLeasesSupported && !permanent)
            {
                permanent = true;
            }
            catch (PortMappingException ex) when (ex.ResultCode == SamePortValuesRequired && !sameTried && externalPort != internalPort)
            {
                sameTried = true;
                externalPort = internalPort;
            }
            catch (PortMappingException ex) when (ex.ResultCode == ConflictInMappingEntry && attempt + 1 < _options.ConflictAttempts)
            {
                LogConflict(_logger, wireProtocol, externalPort);
                attempt++;
                externalPort = externalPort >= 65535 ? 1024 : externalPort + 1;
            }
        }

        throw new PortMappingException($"The router refused {wireProtocol} port mapping: every one of {_options.ConflictAttempts} external ports tried is taken.", ConflictInMappingEntry);
    }

    public async Task UnmapAsync(PortMapping mapping, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        var wireProtocol = WireProtocol(mapping.Protocol);
        var gateway = await RequireGatewayAsync(cancellationToken);
        try
        {
            await InvokeAsync(
                gateway,
                "DeletePortMapping",
                [new("NewRemoteHost", string.Empty), new("NewExternalPort", Number(mapping.External.Port)), new("NewProtocol", wireProtocol)],
                cancellationToken);
        }
        catch (PortMappingException ex) when (ex.ResultCode == NoSuchEntryInArray)
        {
            // Already gone (the lease ended or the router restarted): the mapping is deleted either way.
        }
    }

    public void Dispose()
    {
        _http.Dispose();
        _discovering.Dispose();
    }

    private static string WireProtocol(string protocol) => protocol?.ToUpperInvariant() switch
    {
        "TCP" => "TCP",
        "UDP" => "UDP",
        _ => throw new ArgumentException($"The protocol to map must be tcp or udp, not \"{protocol}\".", nameof(protocol)),
    };

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    private KeyValuePair<string, string>[] AddArguments(Gateway gateway, string protocol, int externalPort, int internalPort, int leaseSeconds) =>
    [
        new("NewRemoteHost", string.Empty),
        new("NewExternalPort", Number(externalPort)),
        new("NewProtocol", protocol),
        new("NewInternalPort", Number(internalPort)),
        new("NewInternalClient", gateway.LocalAddress.ToString()),
        new("NewEnabled", "1"),
        new("NewPortMappingDescription", _options.Description),
        new("NewLeaseDuration", Number(leaseSeconds)),
    ];

    private async Task<Gateway> RequireGatewayAsync(CancellationToken cancellationToken)
    {
        if (_gateway is { } known)
        {
            return known;
        }

        await DiscoverAsync(cancellationToken);
        return _gateway ?? throw new PortMappingException("No UPnP internet gateway answered on the local network.");
    }

    private async Task<bool> DiscoverLockedAsync(CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var tried = new HashSet<Uri>();
        var found = await SsdpSearch.RunAsync(
            _options.SearchEndpoint,
            _time,
            _options.DiscoveryTimeout,
            async (answer, responder, token) =>
            {
                if (!SsdpCodec.IsAcceptableLocation(answer.Location, responder))
                {
                    LogRefusedAnswer(_logger, responder, "its LOCATION names another host than the one that answered");
                    return false;
                }

                if (tried.Count >= 8 || !tried.Add(answer.Location))
                {
                    return false;
                }

                try
                {
                    var description = await _http.GetAsync(answer.Location, UpnpDescription.MaxDocumentCharacters, token);
                    var controlPoint = UpnpDescription.Parse(description, answer.Location);
                    var router = responder.IsIPv4MappedToIPv6 ? responder.MapToIPv4() : responder;
                    _gateway = new Gateway(controlPoint, LocalAddressTowards(router, controlPoint.ControlUrl.Port));
                    var elapsed = _time.GetElapsedTime(started).TotalMilliseconds;
                    LogFound(_logger, controlPoint.ServiceType, controlPoint.ControlUrl, _gateway.LocalAddress, elapsed);
                    return true;
                }
                catch (Exception ex) when (ex is UpnpFormatException or PortMappingException or SocketException)
                {
                    LogRefusedAnswer(_logger, responder, ex.Message);
                    return false;
                }
            },
            (sender, reason) => LogRefusedAnswer(_logger, sender, reason),
            cancellationToken);
        if (!found)
        {
            LogNotFound(_logger, _options.DiscoveryTimeout.TotalSeconds);
        }

        return found;
    }

    private static IPAddress LocalAddressTowards(IPAddress router, int port)
    {
        // Connecting a UDP socket sends nothing; it only asks the kernel which source address reaches the router.
        using var probe = new Socket(router.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        probe.Connect(new IPEndPoint(router, port));
        return ((IPEndPoint)probe.LocalEndPoint!).Address;
    }

    private async Task<IReadOnlyDictionary<string, string>> InvokeAsync(Gateway gateway, string action, KeyValuePair<string, string>[] arguments, CancellationToken cancellationToken)
    {
        var serviceType = gateway.ControlPoint.ServiceType;
        var envelope = UpnpSoap.BuildRequest(serviceType, action, arguments);
        HttpStatusCode status;
        byte[] body;
        try
        {
            (status, body) = await _http.PostSoapAsync(gateway.ControlPoint.ControlUrl, UpnpSoap.ActionHeader(serviceType, action), envelope, UpnpSoap.MaxResponseBytes, cancellationToken);
        }
        catch (PortMappingException)
        {
            // The router stopped answering: search again next time (it may have restarted on another port).
            _gateway = null;
            throw;
        }
        catch (UpnpFormatException ex)
        {
            throw new PortMappingException($"The router's answer to {action} was unusable: {ex.Message}", ex);
        }

        UpnpSoapResponse answer;
        try
        {
            answer = UpnpSoap.ParseResponse(body, action);
        }
        catch (UpnpFormatException ex)
        {
            throw new PortMappingException($"The router's answer to {action} (HTTP {(int)status}) was unusable: {ex.Message}", ex);
        }

        if (answer.IsFault)
        {
            var description = Printable(answer.ErrorDescription);
            throw new PortMappingException(
                answer.ErrorCode is int code
                    ? $"The router refused {action}: UPnP error {code}{(description.Length > 0 ? $" ({description})" : string.Empty)}."
                    : $"The router refused {action} with a SOAP fault that gave no UPnP error code.",
                answer.ErrorCode);
        }

        return status == HttpStatusCode.OK
            ? answer.Arguments
            : throw new PortMappingException($"The router answered {action} with HTTP {(int)status}.");
    }

    private static string Printable(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        var clean = new StringBuilder(Math.Min(text.Length, 100));
        foreach (var c in text)
        {
            if (clean.Length == 100)
            {
                break;
            }

            clean.Append(char.IsControl(c) ? ' ' : c);
        }

        return clean.ToString();
    }

    private sealed record Gateway(UpnpControlPoint ControlPoint, IPAddress LocalAddress);

    [LoggerMessage(Level = LogLevel.Information, Message = "UPnP: found the router's {ServiceType} at {ControlUrl}; our address towards it is {LocalAddress} ({Milliseconds:0} ms).")]
    private static partial void LogFound(ILogger logger, string serviceType, Uri controlUrl, IPAddress localAddress, double milliseconds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "UPnP: no internet gateway answered within {Seconds} s.")]
    private static partial void LogNotFound(ILogger logger, double seconds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "UPnP: ignored an answer from {Sender}: {Reason}")]
    private static partial void LogRefusedAnswer(ILogger logger, IPAddress sender, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "UPnP: external {Protocol} port {Port} is taken on the router (error 718); trying the next one.")]
    private static partial void LogConflict(ILogger logger, string protocol, int port);

    [LoggerMessage(Level = LogLevel.Information, Message = "UPnP: the router maps {Protocol} {External}:{ExternalPort} to our port {InternalPort} ({Lease}).")]
    private static partial void LogMapped(ILogger logger, string protocol, int internalPort, IPAddress external, int externalPort, string lease);
}
