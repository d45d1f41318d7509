using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace SmartShare.Node.Reachability;

/// <summary>The port-mapping service's status section and log lines.</summary>
public sealed partial class PortMappingService
{
    public JsonNode? Describe()
    {
        lock (_lock)
        {
            return new JsonObject
            {
                ["state"] = _state,
                ["reason"] = _reason,
                ["method"] = _active?.Name,
                ["external_address"] = _externalAddress?.ToString(),
                ["restarts"] = _restarts,
                ["mappings"] = new JsonArray([.. _mappings.Values.OrderBy(m => m.InternalPort).ThenBy(m => m.Protocol, StringComparer.Ordinal).Select(mapping => (JsonNode)new JsonObject
                {
                    ["protocol"] = mapping.Protocol,
                    ["internal_port"] = mapping.InternalPort,
                    ["external_address"] = mapping.External.Address.ToString(),
                    ["external_port"] = mapping.External.Port,
                    ["method"] = mapping.Method,
                    ["expires"] = mapping.ExpiresAt == DateTimeOffset.MaxValue ? null : mapping.ExpiresAt.ToString("O", CultureInfo.InvariantCulture),
                })]),
            };
        }
    }

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
