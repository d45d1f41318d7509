using System.Net;

namespace SmartShare.Kademlia.Lookups;

/// <summary>
/// Lets a lookup feed what it learns back to the node (responders join the routing table, failures count
/// against contacts) and skip contacts the node already knows to be bad.
/// </summary>
public interface ILookupObserver
{
    void OnResponded(NodeId id, IPEndPoint endPoint);

    void OnFailed(IPEndPoint endPoint);

    bool IsKnownBad(IPEndPoint endPoint);
}
