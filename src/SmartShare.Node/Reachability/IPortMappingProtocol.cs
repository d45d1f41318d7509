using System.Net;

namespace SmartShare.Node.Reachability;

/// <summary>
/// One way to ask a home router to forward a port: PCP, NAT-PMP or UPnP IGD. The port-mapping service tries them
/// in turn and keeps the first that works; it renews each lease before it ends and remaps when
/// <see cref="GatewayRestarted"/> fires.
/// </summary>
public interface IPortMappingProtocol
{
    /// <summary><c>pcp</c>, <c>nat-pmp</c> or <c>upnp</c>.</summary>
    string Name { get; }

    /// <summary>Raised when the protocol sees that the router restarted (for example a NAT-PMP/PCP epoch that went back), so every mapping must be made again.</summary>
    event Action? GatewayRestarted;

    /// <summary>Finds the router; false when none answers this protocol within its time limit.</summary>
    Task<bool> DiscoverAsync(CancellationToken cancellationToken);

    /// <summary>The router's external address.</summary>
    /// <exception cref="PortMappingException">The router refused or gave no usable answer.</exception>
    Task<IPAddress> GetExternalAddressAsync(CancellationToken cancellationToken);

    /// <summary>Maps (or renews) <paramref name="internalPort"/>, asking for <paramref name="preferredExternalPort"/>; the answer says what the router granted.</summary>
    /// <param name="protocol"><c>tcp</c> or <c>udp</c>.</param>
    /// <exception cref="PortMappingException">The router refused or gave no usable answer.</exception>
    Task<PortMapping> MapAsync(string protocol, int internalPort, int preferredExternalPort, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>Deletes a mapping this node made.</summary>
    /// <exception cref="PortMappingException">The router refused or gave no usable answer.</exception>
    Task UnmapAsync(PortMapping mapping, CancellationToken cancellationToken);
}

/// <summary>A router refused a port-mapping request or answered with something unusable; the message is one sentence for the user.</summary>
public sealed class PortMappingException : Exception
{
    public PortMappingException(string message, int? resultCode = null, Exception? inner = null)
        : base(message, inner) => ResultCode = resultCode;

    public PortMappingException()
    {
    }

    public PortMappingException(string message)
        : base(message)
    {
    }

    public PortMappingException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>The protocol's own result or error code (NAT-PMP/PCP result code, UPnP errorCode), when it gave one.</summary>
    public int? ResultCode { get; }
}
