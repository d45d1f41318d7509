namespace SmartShare.Kademlia.Networking;

/// <summary>
/// The incoming side: a network's codec decodes a request datagram, calls one of these, and encodes the answer.
/// </summary>
public interface IKademliaRequestHandler
{
    NodeId Id { get; }

    void HandlePing(RequestSender sender);

    IReadOnlyList<ContactInfo> HandleFindNode(RequestSender sender, NodeId target);

    FindValueResponse HandleFindValue(RequestSender sender, NodeId key);

    /// <summary>False when the token is wrong or the store refused the value.</summary>
    bool HandleStore(RequestSender sender, NodeId key, ReadOnlySpan<byte> token, ReadOnlySpan<byte> peerValue);
}
