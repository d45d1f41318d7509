using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SmartShare.Bencode;
using SmartShare.Kademlia;

namespace SmartShare.BitTorrent.Dht;

/// <summary>
/// KRPC over bencode (BEP 5): strict BitTorrent bencode, bounded so that a hostile datagram costs little.
/// Decoding throws only <see cref="KrpcFormatException"/>; unknown keys (<c>scrape</c>, <c>noseed</c>, ...) are
/// ignored. BEP 42's top-level <c>ip</c> is read into <see cref="KrpcMessage.Ip"/>; BEP 32: IPv6 contacts travel in
/// <c>nodes6</c> and a query may name the families it wants.
/// </summary>
public static class KrpcCodec
{
    /// <summary>Larger datagrams are refused unread: nothing of BEP 5 needs more than a UDP payload on Ethernet.</summary>
    public const int MaxDatagramSize = 1500;

    /// <summary>A node id, info hash or find_node target.</summary>
    public const int IdLength = 20;

    /// <summary>Transaction ids longer than this are refused (we send 2 bytes; libtorrent sends 2 to 4).</summary>
    public const int MaxTransactionIdLength = 16;

    /// <summary>Compact node info: id, IPv4 address, port.</summary>
    public const int CompactNodeLength = 26;

    /// <summary>BEP 32 compact IPv6 node info: id, IPv6 address, port.</summary>
    public const int CompactNode6Length = 38;

    /// <summary>Entries read from a <c>want</c> list at most (BEP 32 defines two).</summary>
    public const int MaxWantEntries = 8;

    /// <summary>Peers read from one <c>values</c> list at most; more are ignored.</summary>
    public const int MaxValues = 200;

    public const int MaxTokenLength = 64;

    private const int MaxVersionLength = 32;
    private const int MaxMethodLength = 64;

    private static readonly BencodeLimits Limits = new()
    {
        MaxDepth = 4,
        MaxByteStringLength = MaxDatagramSize,
        MaxItems = 640,
    };

    /// <summary>The datagram for <paramref name="message"/>. IPv4 contacts go in <c>nodes</c>, IPv6 ones in <c>nodes6</c>.</summary>
    public static byte[] Encode(KrpcMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var entries = new List<BencodeEntry>(6)
        {
            Entry("t", new BencodeByteString(message.TransactionId)),
        };
        if (!message.Version.IsEmpty)
        {
            entries.Add(Entry("v", new BencodeByteString(message.Version)));
        }

        if (message.Ip is { } ip)
        {
            entries.Add(Entry("ip", new BencodeByteString(CompactPeer(ip))));
        }

        switch (message)
        {
            case KrpcQuery query:
                entries.Add(Entry("y", Ascii("q")));
                entries.Add(Entry("q", new BencodeByteString(Encoding.UTF8.GetBytes(query.MethodName))));
                entries.Add(Entry("a", QueryArguments(query)));
                if (query.ReadOnly)
                {
                    entries.Add(Entry("ro", new BencodeInteger(1)));
                }

                break;
            case KrpcResponse response:
                entries.Add(Entry("y", Ascii("r")));
                entries.Add(Entry("r", ResponseBody(response)));
                break;
            case KrpcError error:
                entries.Add(Entry("y", Ascii("e")));
                entries.Add(Entry("e", new BencodeList(
                [
                    new BencodeInteger(error.Code),
                    new BencodeByteString(Encoding.UTF8.GetBytes(error.Message)),
                ])));
                break;
            default:
                throw new ArgumentException($"Unknown KRPC message kind {message.GetType().Name}.", nameof(message));
        }

        return BencodeEncoder.Encode(new BencodeDictionary(entries), BencodeMode.Strict);
    }

    /// <summary>Reads one datagram. The result keeps references into <paramref name="datagram"/>: pass a copy you own.</summary>
    /// <exception cref="KrpcFormatException">The datagram is not a usable KRPC message.</exception>
    public static KrpcMessage Decode(ReadOnlyMemory<byte> datagram)
    {
        if (datagram.Length > MaxDatagramSize)
        {
            throw new KrpcFormatException($"A {datagram.Length}-byte datagram exceeds {MaxDatagramSize} bytes.");
        }

        BencodeValue root;
        try
        {
            root = BencodeDecoder.Decode(datagram, BencodeMode.Strict, Limits);
        }
        catch (BencodeFormatException ex)
        {
            throw new KrpcFormatException($"Not strict bencode: {ex.Message}", ex);
        }

        if (root is not BencodeDictionary message)
        {
            throw new KrpcFormatException("A KRPC message is a dictionary.");
        }

        if (!message.TryGetValue("t"u8, out var t) || t is not BencodeByteString { Value: var transactionId }
            || transactionId.Length is 0 or > MaxTransactionIdLength)
        {
            throw new KrpcFormatException($"A KRPC message needs a transaction id of 1 to {MaxTransactionIdLength} bytes.");
        }

        var version = message.TryGetValue("v"u8, out var v) && v is BencodeByteString { Value.Length: <= MaxVersionLength } versionBytes
            ? versionBytes.Value
            : ReadOnlyMemory<byte>.Empty;
        if (!message.TryGetValue("y"u8, out var y) || y is not BencodeByteString { Value.Length: 1 } kind)
        {
            throw new KrpcFormatException("A KRPC message needs a one-letter type y.");
        }

        KrpcMessage decoded = kind.Value.Span[0] switch
        {
            (byte)'q' => DecodeQuery(message, transactionId),
            (byte)'r' => DecodeResponse(message, transactionId),
            (byte)'e' => DecodeError(message, transactionId),
            _ => throw new KrpcFormatException("A KRPC message type is q, r or e."),
        };
        // BEP 42's ip is advisory: a value of another shape is ignored, as libtorrent does.
        var ip = message.TryGetValue("ip"u8, out var ipValue) && ipValue is BencodeByteString ipBytes && TryReadCompactPeer(ipBytes.Value.Span, out var seen)
            ? seen
            : null;
        return decoded with { Version = version, Ip = ip };
    }

    /// <summary>Writes an IPv4 or IPv6 peer as 6 or 18 bytes (address, big-endian port).</summary>
    public static byte[] CompactPeer(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var address = Normalize(endPoint.Address);
        var length = address.AddressFamily == AddressFamily.InterNetwork ? 4 : 16;
        var bytes = new byte[length + 2];
        address.TryWriteBytes(bytes, out _);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(length), (ushort)endPoint.Port);
        return bytes;
    }

    /// <summary>Reads a 6- or 18-byte compact peer; false for any other length.</summary>
    public static bool TryReadCompactPeer(ReadOnlySpan<byte> bytes, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IPEndPoint? endPoint)
    {
        if (bytes.Length is not (6 or 18))
        {
            endPoint = null;
            return false;
        }

        var addressLength = bytes.Length - 2;
        endPoint = new IPEndPoint(new IPAddress(bytes[..addressLength]), BinaryPrimitives.ReadUInt16BigEndian(bytes[addressLength..]));
        return true;
    }

    internal static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private static BencodeDictionary QueryArguments(KrpcQuery query)
    {
        var arguments = new List<BencodeEntry>(6) { Entry("id", Id(query.Id)) };
        if (query.Target is { } target)
        {
            arguments.Add(Entry("target", Id(target)));
        }

        if (query.InfoHash is { } infoHash)
        {
            arguments.Add(Entry("info_hash", new BencodeByteString(infoHash.ToArray())));
        }

        if (query.Method == KrpcMethod.AnnouncePeer)
        {
            arguments.Add(Entry("implied_port", new BencodeInteger(query.ImpliedPort ? 1 : 0)));
            arguments.Add(Entry("port", new BencodeInteger(query.Port)));
            arguments.Add(Entry("token", new BencodeByteString(query.Token)));
        }

        if (query.Want != KrpcWant.None)
        {
            var want = new List<BencodeValue>(2);
            if (query.Want.HasFlag(KrpcWant.N4))
            {
                want.Add(Ascii("n4"));
            }

            if (query.Want.HasFlag(KrpcWant.N6))
            {
                want.Add(Ascii("n6"));
            }

            arguments.Add(Entry("want", new BencodeList(want)));
        }

        return new BencodeDictionary(arguments);
    }

    private static BencodeDictionary ResponseBody(KrpcResponse response)
    {
        var body = new List<BencodeEntry>(4) { Entry("id", Id(response.Id)) };
        var nodes = response.Nodes.Where(node => Normalize(node.EndPoint.Address).AddressFamily == AddressFamily.InterNetwork).ToList();
        if (nodes.Count != 0)
        {
            body.Add(Entry("nodes", new BencodeByteString(CompactNodes(nodes, 4))));
        }

        var nodes6 = response.Nodes.Where(node => Normalize(node.EndPoint.Address).AddressFamily == AddressFamily.InterNetworkV6).ToList();
        if (nodes6.Count != 0)
        {
            body.Add(Entry("nodes6", new BencodeByteString(CompactNodes(nodes6, 16))));
        }

        if (!response.Token.IsEmpty)
        {
            body.Add(Entry("token", new BencodeByteString(response.Token)));
        }

        if (response.Values.Count != 0)
        {
            body.Add(Entry("values", new BencodeList(response.Values.Select(peer => (BencodeValue)new BencodeByteString(CompactPeer(peer))))));
        }

        return new BencodeDictionary(body);
    }

    private static byte[] CompactNodes(List<ContactInfo> nodes, int addressLength)
    {
        var slotLength = IdLength + addressLength + 2;
        var compact = new byte[nodes.Count * slotLength];
        for (var i = 0; i < nodes.Count; i++)
        {
            var slot = compact.AsSpan(i * slotLength, slotLength);
            nodes[i].Id.Span.CopyTo(slot);
            Normalize(nodes[i].EndPoint.Address).TryWriteBytes(slot[IdLength..], out _);
            BinaryPrimitives.WriteUInt16BigEndian(slot[(IdLength + addressLength)..], (ushort)nodes[i].EndPoint.Port);
        }

        return compact;
    }

    private static KrpcQuery DecodeQuery(BencodeDictionary message, ReadOnlyMemory<byte> transactionId)
    {
        if (!message.TryGetValue("q"u8, out var q) || q is not BencodeByteString { Value.Length: > 0 and <= MaxMethodLength } methodBytes)
        {
            throw new KrpcFormatException("A query needs a method name q.", transactionId);
        }

        if (!message.TryGetValue("a"u8, out var a) || a is not BencodeDictionary arguments)
        {
            throw new KrpcFormatException("A query needs an argument dictionary a.", transactionId);
        }

        var id = ReadId(arguments, "id"u8, "id", transactionId);
        var method = methodBytes.Value.Span switch
        {
            var name when name.SequenceEqual("ping"u8) => KrpcMethod.Ping,
            var name when name.SequenceEqual("find_node"u8) => KrpcMethod.FindNode,
            var name when name.SequenceEqual("get_peers"u8) => KrpcMethod.GetPeers,
            var name when name.SequenceEqual("announce_peer"u8) => KrpcMethod.AnnouncePeer,
            _ => KrpcMethod.Unknown,
        };
        var query = new KrpcQuery(transactionId, method, id)
        {
            MethodName = method == KrpcMethod.Unknown ? Encoding.UTF8.GetString(methodBytes.Value.Span) : KrpcQuery.NameOf(method),
            ReadOnly = message.TryGetValue("ro"u8, out var ro) && ro is BencodeInteger { Value: 1 },
            Want = ReadWant(arguments, transactionId),
        };
        switch (method)
        {
            case KrpcMethod.FindNode:
                return query with { Target = ReadId(arguments, "target"u8, "target", transactionId) };
            case KrpcMethod.GetPeers:
                return query with { InfoHash = InfoHash.FromBytes(ReadId(arguments, "info_hash"u8, "info_hash", transactionId).Span) };
            case KrpcMethod.AnnouncePeer:
                var infoHash = InfoHash.FromBytes(ReadId(arguments, "info_hash"u8, "info_hash", transactionId).Span);
                var implied = arguments.TryGetValue("implied_port"u8, out var impliedValue) && impliedValue is BencodeInteger { Value: not 0 };
                var port = 0;
                if (arguments.TryGetValue("port"u8, out var portValue) && portValue is BencodeInteger { Value: >= 0 and <= ushort.MaxValue } portNumber)
                {
                    port = (int)portNumber.Value;
                }
                else if (!implied)
                {
                    throw new KrpcFormatException("announce_peer needs a port from 0 to 65535 (or implied_port 1).", transactionId);
                }

                if (!arguments.TryGetValue("token"u8, out var tokenValue) || tokenValue is not BencodeByteString { Value.Length: > 0 and <= MaxTokenLength } token)
                {
                    throw new KrpcFormatException("announce_peer needs a token.", transactionId);
                }

                return query with { InfoHash = infoHash, Port = port, ImpliedPort = implied, Token = token.Value };
            default:
                return query;
        }
    }

    private static KrpcResponse DecodeResponse(BencodeDictionary message, ReadOnlyMemory<byte> transactionId)
    {
        if (!message.TryGetValue("r"u8, out var r) || r is not BencodeDictionary body)
        {
            throw new KrpcFormatException("A response needs a body dictionary r.");
        }

        var id = ReadId(body, "id"u8, "id", ReadOnlyMemory<byte>.Empty);
        var nodes = new List<ContactInfo>();
        ReadNodes(body, "nodes"u8, CompactNodeLength, nodes);
        ReadNodes(body, "nodes6"u8, CompactNode6Length, nodes);

        IReadOnlyList<IPEndPoint> values = [];
        if (body.TryGetValue("values"u8, out var valuesValue))
        {
            if (valuesValue is not BencodeList list)
            {
                throw new KrpcFormatException("values must be a list.");
            }

            var peers = new List<IPEndPoint>(Math.Min(list.Count, MaxValues));
            foreach (var item in list.Items)
            {
                if (peers.Count < MaxValues && item is BencodeByteString peerBytes && TryReadCompactPeer(peerBytes.Value.Span, out var peer))
                {
                    peers.Add(peer);
                }
            }

            values = peers;
        }

        var token = ReadOnlyMemory<byte>.Empty;
        if (body.TryGetValue("token"u8, out var tokenValue))
        {
            if (tokenValue is not BencodeByteString { Value.Length: <= MaxTokenLength } tokenBytes)
            {
                throw new KrpcFormatException($"token must be a byte string of at most {MaxTokenLength} bytes.");
            }

            token = tokenBytes.Value;
        }

        return new KrpcResponse(transactionId, id) { Nodes = nodes, Values = values, Token = token };
    }

    private static KrpcError DecodeError(BencodeDictionary message, ReadOnlyMemory<byte> transactionId)
    {
        if (!message.TryGetValue("e"u8, out var e) || e is not BencodeList { Count: >= 1 } list || list[0] is not BencodeInteger code
            || code.Value is < int.MinValue or > int.MaxValue)
        {
            throw new KrpcFormatException("An error needs a list e starting with an integer code.");
        }

        var text = list.Count >= 2 && list[1] is BencodeByteString textBytes ? Encoding.UTF8.GetString(textBytes.Value.Span) : string.Empty;
        return new KrpcError(transactionId, (int)code.Value, text);
    }

    // nodes (26-byte entries) or BEP 32 nodes6 (38-byte entries); either is at most one datagram, so bounded.
    private static void ReadNodes(BencodeDictionary body, ReadOnlySpan<byte> key, int slotLength, List<ContactInfo> nodes)
    {
        if (!body.TryGetValue(key, out var value))
        {
            return;
        }

        var name = Encoding.ASCII.GetString(key);
        if (value is not BencodeByteString { Value: var compact } || compact.Length % slotLength != 0)
        {
            throw new KrpcFormatException($"{name} must be a multiple of {slotLength} bytes.");
        }

        var addressLength = slotLength - IdLength - 2;
        for (var offset = 0; offset < compact.Length; offset += slotLength)
        {
            var slot = compact.Span.Slice(offset, slotLength);
            var address = new IPAddress(slot.Slice(IdLength, addressLength));
            var endPoint = new IPEndPoint(address, BinaryPrimitives.ReadUInt16BigEndian(slot[(IdLength + addressLength)..]));
            nodes.Add(new ContactInfo(NodeId.FromBytes(slot[..IdLength]), endPoint));
        }
    }

    // BEP 32: a list of "n4" and "n6"; other entries are ignored, anything but a list of strings is refused.
    private static KrpcWant ReadWant(BencodeDictionary arguments, ReadOnlyMemory<byte> transactionId)
    {
        if (!arguments.TryGetValue("want"u8, out var value))
        {
            return KrpcWant.None;
        }

        if (value is not BencodeList { Count: <= MaxWantEntries } list)
        {
            throw new KrpcFormatException($"want must be a list of at most {MaxWantEntries} strings.", transactionId);
        }

        var want = KrpcWant.None;
        foreach (var item in list.Items)
        {
            if (item is not BencodeByteString { Value: var entry })
            {
                throw new KrpcFormatException("want must be a list of strings.", transactionId);
            }

            want |= entry.Span.SequenceEqual("n4"u8) ? KrpcWant.N4 : entry.Span.SequenceEqual("n6"u8) ? KrpcWant.N6 : KrpcWant.None;
        }

        return want;
    }

    private static NodeId ReadId(BencodeDictionary arguments, ReadOnlySpan<byte> key, string name, ReadOnlyMemory<byte> queryTransactionId)
    {
        if (!arguments.TryGetValue(key, out var value) || value is not BencodeByteString { Value.Length: IdLength } bytes)
        {
            throw new KrpcFormatException($"{name} must be {IdLength} bytes.", queryTransactionId);
        }

        return NodeId.FromBytes(bytes.Value.Span);
    }

    private static BencodeByteString Id(NodeId id) => new(id.ToArray());

    private static BencodeByteString Ascii(string text) => BencodeByteString.FromAscii(text);

    private static BencodeEntry Entry(string key, BencodeValue value) => new(BencodeKey.FromAscii(key), value);
}
