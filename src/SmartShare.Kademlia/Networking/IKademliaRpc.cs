using System.Net;

namespace SmartShare.Kademlia.Networking;

/// <summary>
/// The outgoing requests the engine needs, free of any wire format. Each network implements it over its codec
/// and a datagram transport (SmartShare.Networking.IDatagramTransport), as SmartShare.Lbry.Dht.LbryDhtEndpoint
/// does for LBRY. Implementations apply the per-request timeout (5 s by default) and
/// return null (or false) when no valid answer came; they throw only on cancellation.
/// </summary>
public interface IKademliaRpc
{
    Task<NodeId?> PingAsync(IPEndPoint remote, CancellationToken cancellationToken);

    Task<FindNodeResponse?> FindNodeAsync(IPEndPoint remote, NodeId target, CancellationToken cancellationToken);

    Task<FindValueResponse?> FindValueAsync(IPEndPoint remote, NodeId key, CancellationToken cancellationToken);

    Task<bool> StoreAsync(
        IPEndPoint remote, NodeId key, ReadOnlyMemory<byte> token, ReadOnlyMemory<byte> peerValue, CancellationToken cancellationToken);
}
