using System.Net;
using SmartShare.Kademlia;

namespace SmartShare.BitTorrent.Dht;

/// <summary>The KRPC error codes of BEP 5.</summary>
public static class KrpcErrorCode
{
    public const int Generic = 201;
    public const int Server = 202;

    /// <summary>A malformed packet, invalid arguments or a bad token. libtorrent also uses it for unknown methods.</summary>
    public const int Protocol = 203;

    public const int MethodUnknown = 204;
}

/// <summary>The four queries of BEP 5, and anything else (answered with error 204).</summary>
public enum KrpcMethod
{
    Unknown,
    Ping,
    FindNode,
    GetPeers,
    AnnouncePeer,
}

/// <summary>
/// The address families a find_node or get_peers query asks nodes of (BEP 32 <c>want</c>: <c>n4</c>, <c>n6</c>).
/// <see cref="None"/>: the query did not say, so the answer carries the family the query arrived on.
/// </summary>
[Flags]
public enum KrpcWant
{
    None = 0,
    N4 = 1,
    N6 = 2,
}

/// <summary>
/// One KRPC datagram (BEP 5): a query, a response or an error, tied together by the opaque transaction id
/// <see cref="TransactionId"/>. <see cref="Version"/> is the optional <c>v</c> client version.
/// </summary>
public abstract record KrpcMessage(ReadOnlyMemory<byte> TransactionId)
{
    public ReadOnlyMemory<byte> Version { get; init; }

    /// <summary>
    /// BEP 42's <c>ip</c>: in an answer, the address and port its sender saw the query come from (our external
    /// address, as that node sees it). Null when absent or not a 6- or 18-byte compact address.
    /// </summary>
    public IPEndPoint? Ip { get; init; }
}

/// <summary>
/// A query. <see cref="Target"/> is set for find_node, <see cref="InfoHash"/> for get_peers and announce_peer;
/// announce_peer also carries <see cref="Port"/>, <see cref="ImpliedPort"/> and <see cref="Token"/>.
/// <see cref="ReadOnly"/> is BEP 43's <c>ro</c>: the sender does not answer queries.
/// </summary>
public sealed record KrpcQuery(ReadOnlyMemory<byte> TransactionId, KrpcMethod Method, NodeId Id) : KrpcMessage(TransactionId)
{
    /// <summary>The method as sent; for <see cref="KrpcMethod.Unknown"/> the name we did not know.</summary>
    public string MethodName { get; init; } = NameOf(Method);

    public NodeId? Target { get; init; }

    public InfoHash? InfoHash { get; init; }

    public int Port { get; init; }

    public bool ImpliedPort { get; init; }

    public ReadOnlyMemory<byte> Token { get; init; }

    public bool ReadOnly { get; init; }

    /// <summary>BEP 32 <c>want</c> of a find_node or get_peers query.</summary>
    public KrpcWant Want { get; init; }

    public static KrpcQuery Ping(ReadOnlyMemory<byte> transactionId, NodeId id) => new(transactionId, KrpcMethod.Ping, id);

    public static KrpcQuery FindNode(ReadOnlyMemory<byte> transactionId, NodeId id, NodeId target) =>
        new(transactionId, KrpcMethod.FindNode, id) { Target = target };

    public static KrpcQuery GetPeers(ReadOnlyMemory<byte> transactionId, NodeId id, InfoHash infoHash) =>
        new(transactionId, KrpcMethod.GetPeers, id) { InfoHash = infoHash };

    /// <summary>An announce; with <paramref name="impliedPort"/> the receiver takes the UDP source port instead of <paramref name="port"/>.</summary>
    public static KrpcQuery AnnouncePeer(
        ReadOnlyMemory<byte> transactionId, NodeId id, InfoHash infoHash, int port, bool impliedPort, ReadOnlyMemory<byte> token) =>
        new(transactionId, KrpcMethod.AnnouncePeer, id) { InfoHash = infoHash, Port = port, ImpliedPort = impliedPort, Token = token };

    internal static string NameOf(KrpcMethod method) => method switch
    {
        KrpcMethod.Ping => "ping",
        KrpcMethod.FindNode => "find_node",
        KrpcMethod.GetPeers => "get_peers",
        KrpcMethod.AnnouncePeer => "announce_peer",
        _ => string.Empty,
    };
}

/// <summary>
/// A response: the responder's id, and whichever of compact <see cref="Nodes"/> (IPv4 ones travel in <c>nodes</c>,
/// 26 bytes each; IPv6 ones in BEP 32 <c>nodes6</c>, 38 bytes each), peer
/// <see cref="Values"/> (6- or 18-byte compact peers) and <see cref="Token"/> it carried.
/// </summary>
public sealed record KrpcResponse(ReadOnlyMemory<byte> TransactionId, NodeId Id) : KrpcMessage(TransactionId)
{
    public IReadOnlyList<ContactInfo> Nodes { get; init; } = [];

    public IReadOnlyList<IPEndPoint> Values { get; init; } = [];

    public ReadOnlyMemory<byte> Token { get; init; }
}

/// <summary>An error answer: one of <see cref="KrpcErrorCode"/> (or another number) and a message.</summary>
public sealed record KrpcError(ReadOnlyMemory<byte> TransactionId, int Code, string Message) : KrpcMessage(TransactionId);
