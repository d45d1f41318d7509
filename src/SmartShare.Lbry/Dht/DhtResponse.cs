using SmartShare.Bencode;

namespace SmartShare.Lbry.Dht;

/// <summary>A DHT response: its result is any bencode value (spec 1.4 says which, per method).</summary>
public sealed class DhtResponse : DhtMessage
{
    public DhtResponse(ReadOnlyMemory<byte> rpcId, ReadOnlyMemory<byte> nodeId, BencodeValue result)
        : base(rpcId, nodeId)
    {
        Result = result ?? throw new ArgumentNullException(nameof(result));
    }

    public BencodeValue Result { get; }
}
