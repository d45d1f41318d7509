using System.Net;

namespace SmartShare.Node.Reachability;

/// <summary>A port-mapping protocol that knows which router it talks to (reported as the external address's witness).</summary>
public interface IGatewayAddress
{
    /// <summary>The router's address, once found.</summary>
    IPAddress? Gateway { get; }
}
