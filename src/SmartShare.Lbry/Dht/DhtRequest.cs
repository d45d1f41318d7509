using SmartShare.Bencode;

namespace SmartShare.Lbry.Dht;

/// <summary>
/// A DHT request. On the wire its arguments end with a dictionary holding <c>protocolVersion</c>; here the
/// positional arguments and the keyword dictionary (without <c>protocolVersion</c>) are kept apart, as
/// lbry-sdk's receiver splits them.
/// </summary>
public sealed class DhtRequest : DhtMessage
{
    public const string PingMethod = "ping";
    public const string FindNodeMethod = "findNode";
    public const string FindValueMethod = "findValue";
    public const string StoreMethod = "store";

    public DhtRequest(ReadOnlyMemory<byte> rpcId, ReadOnlyMemory<byte> nodeId, string method, IReadOnlyList<BencodeValue> arguments, IReadOnlyList<BencodeEntry>? keywords = null)
        : base(rpcId, nodeId)
    {
        Method = method ?? throw new ArgumentNullException(nameof(method));
        Arguments = arguments ?? throw new ArgumentNullException(nameof(arguments));
        Keywords = keywords ?? [];
    }

    public string Method { get; }

    /// <summary>Positional arguments, in order.</summary>
    public IReadOnlyList<BencodeValue> Arguments { get; }

    /// <summary>Keyword arguments from the trailing dictionary, other than protocolVersion (findValue's <c>p</c>).</summary>
    public IReadOnlyList<BencodeEntry> Keywords { get; }

    public static DhtRequest Ping(ReadOnlyMemory<byte> rpcId, ReadOnlyMemory<byte> nodeId) =>
        new(rpcId, nodeId, PingMethod, []);

    public static DhtRequest FindNode(ReadOnlyMemory<byte> rpcId, ReadOnlyMemory<byte> nodeId, ReadOnlyMemory<byte> key) =>
        new(rpcId, nodeId, FindNodeMethod, [new BencodeByteString(key)]);

    public static DhtRequest FindValue(ReadOnlyMemory<byte> rpcId, ReadOnlyMemory<byte> nodeId, ReadOnlyMemory<byte> key, int page) =>
        new(rpcId, nodeId, FindValueMethod, [new BencodeByteString(key)], [new BencodeEntry(BencodeKey.FromAscii("p"), new BencodeInteger(page))]);

    /// <summary>lbry-sdk sends its own id as the publisher and 0 as the age; receivers ignore both.</summary>
    public static DhtRequest Store(ReadOnlyMemory<byte> rpcId, ReadOnlyMemory<byte> nodeId, ReadOnlyMemory<byte> blobHash, ReadOnlyMemory<byte> token, int tcpPort) =>
        new(rpcId, nodeId, StoreMethod,
        [
            new BencodeByteString(blobHash),
            new BencodeByteString(token),
            new BencodeInteger(tcpPort),
            new BencodeByteString(nodeId),
            new BencodeInteger(0),
        ]);
}
