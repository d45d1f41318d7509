namespace SmartShare.Lbry.Dht;

/// <summary>
/// One LBRY DHT datagram (spec 1.2): a request, a response or an error, each carrying the 20-byte rpc id
/// that pairs a response with its request and the 48-byte id of the node that sent it.
/// </summary>
public abstract class DhtMessage
{
    public const int RpcIdLength = 20;
    public const int NodeIdLength = 48;

    private protected DhtMessage(ReadOnlyMemory<byte> rpcId, ReadOnlyMemory<byte> nodeId)
    {
        if (rpcId.Length != RpcIdLength)
        {
            throw new ArgumentException($"An rpc id is {RpcIdLength} bytes, not {rpcId.Length}.", nameof(rpcId));
        }

        if (nodeId.Length != NodeIdLength)
        {
            throw new ArgumentException($"A node id is {NodeIdLength} bytes, not {nodeId.Length}.", nameof(nodeId));
        }

        RpcId = rpcId;
        NodeId = nodeId;
    }

    public ReadOnlyMemory<byte> RpcId { get; }

    public ReadOnlyMemory<byte> NodeId { get; }
}
