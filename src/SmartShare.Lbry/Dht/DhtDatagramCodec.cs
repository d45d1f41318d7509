using System.Text;
using SmartShare.Bencode;

namespace SmartShare.Lbry.Dht;

/// <summary>
/// LBRY DHT datagrams (spec 1.2): a bencoded dictionary with integer keys 0..4. Encoding reproduces
/// lbry-sdk's bytes exactly, including the trailing <c>{protocolVersion: 1}</c> dictionary that ends every
/// request's arguments (merged into findValue's page dictionary) and nothing after a nested dictionary, which
/// lbry-sdk's decoder cannot read. Decoding is an ordinary strict-length bencode read that accepts the
/// keys also as the byte strings "0".."4", as lbry-sdk does, and throws only <see cref="DhtDatagramException"/>.
/// </summary>
public static class DhtDatagramCodec
{
    /// <summary>lbry-sdk refuses to send a larger datagram; so do we.</summary>
    public const int MaxDatagramSize = 1400;

    /// <summary>What a received datagram may be: UDP caps it, and these bounds cap what decoding it can cost.</summary>
    public const int MaxReceivedSize = 8192;

    private const int ProtocolVersion = 1;
    private static readonly BencodeKey ProtocolVersionKey = BencodeKey.FromAscii("protocolVersion");

    private static readonly BencodeLimits Limits = new()
    {
        MaxDepth = 8,
        MaxByteStringLength = MaxReceivedSize,
        MaxItems = 1024,
    };

    /// <summary>The datagram's bytes. Throws <see cref="InvalidOperationException"/> when they would exceed 1400 bytes.</summary>
    public static byte[] Encode(DhtMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var type = message switch
        {
            DhtRequest => 0,
            DhtResponse => 1,
            DhtError => 2,
            _ => throw new ArgumentException($"Unknown message kind {message.GetType().Name}.", nameof(message)),
        };
        var entries = new List<BencodeEntry>(5)
        {
            Entry(0, new BencodeInteger(type)),
            Entry(1, new BencodeByteString(message.RpcId)),
            Entry(2, new BencodeByteString(message.NodeId)),
        };
        switch (message)
        {
            case DhtRequest request:
                entries.Add(Entry(3, BencodeByteString.FromAscii(request.Method)));
                entries.Add(Entry(4, new BencodeList([.. request.Arguments, KeywordDictionary(request.Keywords)])));
                break;
            case DhtResponse response:
                entries.Add(Entry(3, response.Result));
                break;
            case DhtError error:
                entries.Add(Entry(3, new BencodeByteString(Encoding.UTF8.GetBytes(error.ExceptionType))));
                entries.Add(Entry(4, new BencodeByteString(Encoding.UTF8.GetBytes(error.Message))));
                break;
        }

        var bytes = BencodeEncoder.Encode(new BencodeDictionary(entries), BencodeMode.Lbry);
        if (bytes.Length > MaxDatagramSize)
        {
            throw new InvalidOperationException($"A {bytes.Length}-byte datagram is over the {MaxDatagramSize}-byte limit lbry-sdk keeps.");
        }

        return bytes;
    }

    /// <summary>
    /// Reads a datagram. Byte strings in the result are slices of <paramref name="datagram"/>: pass memory the
    /// message may keep (not a receive buffer that is about to be reused).
    /// </summary>
    public static DhtMessage Decode(ReadOnlyMemory<byte> datagram)
    {
        if (datagram.Length > MaxReceivedSize)
        {
            throw new DhtDatagramException($"A {datagram.Length}-byte datagram is larger than any DHT message.");
        }

        BencodeValue value;
        try
        {
            value = BencodeDecoder.Decode(datagram, BencodeMode.Lbry, Limits);
        }
        catch (BencodeFormatException ex)
        {
            throw new DhtDatagramException($"Not bencode: {ex.Message}", ex);
        }

        if (value is not BencodeDictionary message)
        {
            throw new DhtDatagramException("A DHT datagram must be a dictionary.");
        }

        var type = Required<BencodeInteger>(message, 0, "packet type").Value;
        var rpcId = Required<BencodeByteString>(message, 1, "rpc id").Value;
        var nodeId = Required<BencodeByteString>(message, 2, "node id").Value;
        if (rpcId.Length != DhtMessage.RpcIdLength)
        {
            throw new DhtDatagramException($"The rpc id is {rpcId.Length} bytes; it must be {DhtMessage.RpcIdLength}.");
        }

        if (nodeId.Length != DhtMessage.NodeIdLength)
        {
            throw new DhtDatagramException($"The node id is {nodeId.Length} bytes; it must be {DhtMessage.NodeIdLength}.");
        }

        return type switch
        {
            0 => DecodeRequest(message, rpcId, nodeId),
            1 => new DhtResponse(rpcId, nodeId, message.TryGetValue(3, out var result) ? result : throw new DhtDatagramException("The response has no result (key 3).")),
            2 => new DhtError(
                rpcId,
                nodeId,
                Text(Required<BencodeByteString>(message, 3, "exception type")),
                message.TryGetValue(4, out var text) && text is BencodeByteString bytes ? Text(bytes) : string.Empty),
            _ => throw new DhtDatagramException($"Unknown packet type {type}; it must be 0, 1 or 2."),
        };
    }

    private static DhtRequest DecodeRequest(BencodeDictionary message, ReadOnlyMemory<byte> rpcId, ReadOnlyMemory<byte> nodeId)
    {
        var method = Text(Required<BencodeByteString>(message, 3, "method"));
        IReadOnlyList<BencodeValue> arguments = message.TryGetValue(4, out var value)
            ? value as BencodeList is { } list ? list.Items : throw new DhtDatagramException("The arguments (key 4) must be a list.")
            : [];

        // A trailing dictionary holding protocolVersion carries the keyword arguments (spec 1.2).
        if (arguments.Count > 0 && arguments[^1] is BencodeDictionary trailing && trailing.Entries.Any(entry => entry.Key == ProtocolVersionKey))
        {
            return new DhtRequest(rpcId, nodeId, method, arguments.Take(arguments.Count - 1).ToArray(), trailing.Entries.Where(entry => entry.Key != ProtocolVersionKey).ToArray());
        }

        return new DhtRequest(rpcId, nodeId, method, arguments);
    }

    private static BencodeDictionary KeywordDictionary(IReadOnlyList<BencodeEntry> keywords) =>
        new([.. keywords.Where(entry => entry.Key != ProtocolVersionKey), new BencodeEntry(ProtocolVersionKey, new BencodeInteger(ProtocolVersion))]);

    private static BencodeEntry Entry(long key, BencodeValue value) => new(BencodeKey.FromInteger(key), value);

    private static T Required<T>(BencodeDictionary message, long key, string what)
        where T : BencodeValue =>
        message.TryGetValue(key, out var value)
            ? value as T ?? throw new DhtDatagramException($"The {what} (key {key}) has the wrong type.")
            : throw new DhtDatagramException($"The {what} (key {key}) is missing.");

    private static string Text(BencodeByteString value) => Encoding.UTF8.GetString(value.Value.Span);
}
