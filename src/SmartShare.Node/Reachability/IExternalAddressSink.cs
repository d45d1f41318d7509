using System.Net;

namespace SmartShare.Node.Reachability;

/// <summary>
/// Takes claims about this node's external address from every source (the gateway, DHT responses, peers'
/// handshakes). The implementation votes, so one liar cannot move the address; callers only report.
/// </summary>
public interface IExternalAddressSink
{
    /// <param name="address">The address the source says we have.</param>
    /// <param name="source">What kind of source said it.</param>
    /// <param name="reporter">Who said it (the peer's or router's address), so one host counts once.</param>
    void Report(IPAddress address, ExternalAddressSource source, IPAddress reporter);
}
