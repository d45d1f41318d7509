using System.Net;

namespace SmartShare.Node.Reachability;

/// <summary>A port the home router forwards to this node.</summary>
/// <param name="Protocol"><c>tcp</c> or <c>udp</c>.</param>
/// <param name="InternalPort">The port this node listens on.</param>
/// <param name="External">The router's external address and the port it forwards.</param>
/// <param name="Method"><c>nat-pmp</c>, <c>pcp</c> or <c>upnp</c>.</param>
/// <param name="ExpiresAt">When the lease ends unless renewed (<see cref="DateTimeOffset.MaxValue"/> for a permanent one).</param>
public sealed record PortMapping(string Protocol, int InternalPort, IPEndPoint External, string Method, DateTimeOffset ExpiresAt);

/// <summary>The mappings the router holds for this node now (empty when none, or port mapping is off).</summary>
public interface IPortMappings
{
    IReadOnlyList<PortMapping> Current { get; }
}
