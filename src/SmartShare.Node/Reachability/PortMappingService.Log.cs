using System.Net;
using Microsoft.Extensions.Logging;

namespace SmartShare.Node.Reachability;

/// <summary>The port-mapping service's log lines.</summary>
public sealed partial class PortMappingService
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Port mapping: the router answers {Method}.")]
    private partial void LogFound(string method);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Port mapping: {Method} discovery failed: {Reason}")]
    private partial void LogDiscoveryFailed(string method, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Port mapping: {Protocol} port {Port} is reachable at {External} ({Method}).")]
    private partial void LogMapped(string protocol, int port, IPEndPoint external, string method);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Port mapping: {Protocol} port {Port} could not be mapped: {Reason}")]
    private partial void LogMapFailed(string protocol, int port, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Port mapping: the router's external address is {Address} ({Method}).")]
    private partial void LogExternalAddress(IPAddress address, string method);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Port mapping: no external address from the router: {Reason}")]
    private partial void LogNoExternalAddress(string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Port mapping: the router restarted ({Method} epoch); mapping every port again.")]
    private partial void LogRestarted(string method);

    [LoggerMessage(Level = LogLevel.Information, Message = "Port mapping: deleted the mapping of {Protocol} port {Port} ({External}).")]
    private partial void LogUnmapped(string protocol, int port, IPEndPoint external);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Port mapping: could not delete the mapping of {Protocol} port {Port}: {Reason}")]
    private partial void LogUnmapFailed(string protocol, int port, string reason);
}
