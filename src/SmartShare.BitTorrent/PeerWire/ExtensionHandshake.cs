using System.Buffers;
using System.Net;
using System.Text;
using SmartShare.Bencode;

namespace SmartShare.BitTorrent.PeerWire;

/// <summary>
/// The BEP 10 extension handshake, the payload of extended message 0: which extension messages a peer supports and
/// under which ids, plus a few optional facts about it.
/// </summary>
/// <param name="Messages">"m": extension name to the id the peer wants it sent under. Names the peer disabled (id 0) are left out.</param>
/// <param name="MetadataSize">"metadata_size" (BEP 9): the size of the info dictionary in bytes.</param>
/// <param name="Client">"v": the client's name and version.</param>
/// <param name="RequestQueue">"reqq": how many outstanding requests the peer keeps without dropping any.</param>
/// <param name="ListenPort">"p": the port the peer listens on.</param>
/// <param name="YourIp">"yourip": the address the peer sees us at.</param>
public sealed record ExtensionHandshake(
    IReadOnlyDictionary<string, byte> Messages,
    int? MetadataSize,
    string? Client,
    int? RequestQueue,
    ushort? ListenPort,
    IPAddress? YourIp)
{
    /// <summary>The largest extension handshake payload accepted.</summary>
    public const int MaxPayloadLength = 64 * 1024;

    private static readonly BencodeLimits Limits = new()
    {
        MaxDepth = 4,
        MaxByteStringLength = MaxPayloadLength,
        MaxItems = 4096,
    };

    /// <summary>The <c>yourip</c> to send a peer: the address its connection comes from (IPv4 for an IPv4-mapped one).</summary>
    public static IPAddress Seen(IPEndPoint remote)
    {
        ArgumentNullException.ThrowIfNull(remote);
        return remote.Address.IsIPv4MappedToIPv6 ? remote.Address.MapToIPv4() : remote.Address;
    }

    /// <summary>The bencoded dictionary, keys in canonical order.</summary>
    public byte[] Encode()
    {
        var entries = new List<BencodeEntry>();
        var messages = new List<BencodeEntry>();
        foreach (var (name, id) in Messages)
        {
            messages.Add(new BencodeEntry(BencodeKey.FromBytes(Encoding.UTF8.GetBytes(name)), new BencodeInteger(id)));
        }

        entries.Add(Entry("m", new BencodeDictionary(messages)));
        if (MetadataSize is { } metadataSize)
        {
            entries.Add(Entry("metadata_size", new BencodeInteger(metadataSize)));
        }

        if (ListenPort is { } port)
        {
            entries.Add(Entry("p", new BencodeInteger(port)));
        }

        if (RequestQueue is { } requestQueue)
        {
            entries.Add(Entry("reqq", new BencodeInteger(requestQueue)));
        }

        if (Client is not null)
        {
            entries.Add(Entry("v", new BencodeByteString(Encoding.UTF8.GetBytes(Client))));
        }

        if (YourIp is not null)
        {
            entries.Add(Entry("yourip", new BencodeByteString(YourIp.GetAddressBytes())));
        }

        return BencodeEncoder.Encode(new BencodeDictionary(entries), BencodeMode.Strict);
    }

    /// <summary>Decodes the payload of extended message 0. Unknown keys and wrongly typed optional keys are ignored.</summary>
    /// <exception cref="PeerWireFormatException">The payload is over 64 KiB, not strict bencode, not a dictionary, or its "m" is not a dictionary.</exception>
    public static ExtensionHandshake Decode(ReadOnlySequence<byte> payload)
    {
        if (payload.Length > MaxPayloadLength)
        {
            throw new PeerWireFormatException($"A peer sent an extension handshake of {payload.Length} bytes; the limit is {MaxPayloadLength}.");
        }

        BencodeValue root;
        try
        {
            root = BencodeDecoder.Decode(payload.ToArray(), BencodeMode.Strict, Limits);
        }
        catch (BencodeFormatException e)
        {
            throw new PeerWireFormatException($"A peer sent an extension handshake that is not valid bencode: {e.Message}", e);
        }

        if (root is not BencodeDictionary dictionary)
        {
            throw new PeerWireFormatException("A peer sent an extension handshake that is not a bencoded dictionary.");
        }

        var messages = new Dictionary<string, byte>(StringComparer.Ordinal);
        if (dictionary.TryGetValue("m"u8, out var m))
        {
            if (m is not BencodeDictionary messageIds)
            {
                throw new PeerWireFormatException("A peer sent an extension handshake whose \"m\" is not a dictionary.");
            }

            foreach (var entry in messageIds.Entries)
            {
                if (!entry.Key.IsInteger && entry.Value is BencodeInteger { Value: > 0 and <= byte.MaxValue } id)
                {
                    messages[Encoding.UTF8.GetString(entry.Key.Bytes.Span)] = (byte)id.Value;
                }
            }
        }

        return new ExtensionHandshake(
            messages,
            MetadataSize: GetInt(dictionary, "metadata_size"u8, 0, int.MaxValue),
            Client: dictionary.TryGetValue("v"u8, out var v) && v is BencodeByteString client ? Encoding.UTF8.GetString(client.Value.Span) : null,
            RequestQueue: GetInt(dictionary, "reqq"u8, 1, int.MaxValue),
            ListenPort: GetInt(dictionary, "p"u8, 1, ushort.MaxValue) is { } port ? (ushort)port : null,
            YourIp: dictionary.TryGetValue("yourip"u8, out var ip) && ip is BencodeByteString { Value.Length: 4 or 16 } address
                ? new IPAddress(address.Value.Span)
                : null);
    }

    private static BencodeEntry Entry(string key, BencodeValue value) => new(BencodeKey.FromAscii(key), value);

    private static int? GetInt(BencodeDictionary dictionary, ReadOnlySpan<byte> key, int min, int max) =>
        dictionary.TryGetValue(key, out var value) && value is BencodeInteger { Value: var number } && number >= min && number <= max
            ? (int)number
            : null;
}
