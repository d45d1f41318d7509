using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using SmartShare.Bencode;

namespace SmartShare.BitTorrent.PeerWire;

/// <summary>The flags byte of a peer in a PEX message's <c>added.f</c> (BEP 11).</summary>
[Flags]
public enum PexPeerTraits : byte
{
    None = 0,
    PrefersEncryption = 0x01,
    Seed = 0x02,
    SupportsUtp = 0x04,
    SupportsHolepunch = 0x08,
    Reachable = 0x10,
}

/// <summary>One peer a PEX message adds, with its flags.</summary>
public readonly record struct PexPeer(IPEndPoint EndPoint, PexPeerTraits Flags);

/// <summary>
/// A ut_pex message (BEP 11): peers the sender connected to and dropped since its last message, IPv4
/// (<c>added</c>, <c>added.f</c>, <c>dropped</c>) and IPv6 (<c>added6</c>, <c>added6.f</c>, <c>dropped6</c>) in compact form.
/// </summary>
public sealed record PexMessage(IReadOnlyList<PexPeer> Added, IReadOnlyList<IPEndPoint> Dropped)
{
    /// <summary>The extension's name in the BEP 10 handshake's "m".</summary>
    public const string ExtensionName = "ut_pex";

    /// <summary>At most this many added and this many dropped peers are sent, or read, per message (IPv4 and IPv6 together).</summary>
    public const int MaxPeersPerList = 50;

    /// <summary>The largest payload accepted; 50 + 50 IPv6 entries with flags take under 2 KiB, so this leaves room for padding and unknown keys.</summary>
    public const int MaxPayloadLength = 16 * 1024;

    private static readonly BencodeLimits Limits = new()
    {
        MaxDepth = 3,
        MaxByteStringLength = MaxPayloadLength,
        MaxItems = 256,
    };

    /// <summary>
    /// The bencoded payload. Only the first <see cref="MaxPeersPerList"/> of each list are written; peers with
    /// port 0 are skipped.
    /// </summary>
    public byte[] Encode()
    {
        var added4 = new List<PexPeer>();
        var added6 = new List<PexPeer>();
        foreach (var peer in Added.Where(p => p.EndPoint.Port > 0).Take(MaxPeersPerList))
        {
            (Normalize(peer.EndPoint.Address).AddressFamily == AddressFamily.InterNetwork ? added4 : added6)
                .Add(peer with { EndPoint = new IPEndPoint(Normalize(peer.EndPoint.Address), peer.EndPoint.Port) });
        }

        var dropped4 = new List<IPEndPoint>();
        var dropped6 = new List<IPEndPoint>();
        foreach (var peer in Dropped.Where(p => p.Port > 0).Take(MaxPeersPerList))
        {
            var address = Normalize(peer.Address);
            (address.AddressFamily == AddressFamily.InterNetwork ? dropped4 : dropped6).Add(new IPEndPoint(address, peer.Port));
        }

        // Keys in raw byte order: "added" < "added.f" < "added6" < "added6.f" < "dropped" < "dropped6".
        var entries = new List<BencodeEntry>
        {
            Entry("added", Compact(added4.Select(p => p.EndPoint), 4)),
            Entry("added.f", [.. added4.Select(p => (byte)p.Flags)]),
            Entry("added6", Compact(added6.Select(p => p.EndPoint), 16)),
            Entry("added6.f", [.. added6.Select(p => (byte)p.Flags)]),
            Entry("dropped", Compact(dropped4, 4)),
            Entry("dropped6", Compact(dropped6, 16)),
        };
        return BencodeEncoder.Encode(new BencodeDictionary(entries), BencodeMode.Strict);
    }

    /// <summary>
    /// Decodes a ut_pex payload (after the extended id byte). Only the first <see cref="MaxPeersPerList"/> added and
    /// dropped peers count; the rest are ignored. Entries with port 0 are skipped; a missing or short flags string
    /// leaves flags at zero; unknown keys are ignored.
    /// </summary>
    /// <exception cref="PeerWireFormatException">Over <see cref="MaxPayloadLength"/>, not a bencoded dictionary, or a
    /// peer list that is not a byte string whose length is a multiple of 6 (IPv4) or 18 (IPv6).</exception>
    public static PexMessage Decode(ReadOnlySequence<byte> payload)
    {
        if (payload.Length > MaxPayloadLength)
        {
            throw new PeerWireFormatException($"A ut_pex message of {payload.Length} bytes is over the {MaxPayloadLength}-byte limit.");
        }

        BencodeValue root;
        try
        {
            root = BencodeDecoder.Decode(payload.ToArray(), BencodeMode.Strict, Limits);
        }
        catch (BencodeFormatException e)
        {
            throw new PeerWireFormatException($"A ut_pex message is not valid bencode: {e.Message}", e);
        }

        if (root is not BencodeDictionary dictionary)
        {
            throw new PeerWireFormatException("A ut_pex message is not a bencoded dictionary.");
        }

        var added = new List<PexPeer>();
        ReadAdded(dictionary, "added", "added.f", 4, added);
        ReadAdded(dictionary, "added6", "added6.f", 16, added);
        var dropped = new List<IPEndPoint>();
        ReadPeers(dictionary, "dropped", 4, dropped, MaxPeersPerList);
        ReadPeers(dictionary, "dropped6", 16, dropped, MaxPeersPerList - dropped.Count);
        return new PexMessage(added, dropped);
    }

    private static void ReadAdded(BencodeDictionary dictionary, string key, string flagsKey, int addressLength, List<PexPeer> added)
    {
        var peers = new List<IPEndPoint>();
        var flags = dictionary.TryGetValue(flagsKey, out var f) && f is BencodeByteString { Value: var bytes } ? bytes : ReadOnlyMemory<byte>.Empty;
        var firstIndexes = ReadPeers(dictionary, key, addressLength, peers, MaxPeersPerList - added.Count);
        for (var i = 0; i < peers.Count; i++)
        {
            var index = firstIndexes[i];
            added.Add(new PexPeer(peers[i], index < flags.Length ? (PexPeerTraits)flags.Span[index] : PexPeerTraits.None));
        }
    }

    // Reads up to `room` entries into `into`; returns each one's index in the compact string (for its flags byte).
    private static List<int> ReadPeers(BencodeDictionary dictionary, string key, int addressLength, List<IPEndPoint> into, int room)
    {
        var indexes = new List<int>();
        if (!dictionary.TryGetValue(key, out var value))
        {
            return indexes;
        }

        var entryLength = addressLength + 2;
        if (value is not BencodeByteString { Value: var bytes } || bytes.Length % entryLength != 0)
        {
            throw new PeerWireFormatException($"A ut_pex message's \"{key}\" is not a list of {entryLength}-byte compact peers.");
        }

        for (var i = 0; i < bytes.Length / entryLength && indexes.Count < room; i++)
        {
            var entry = bytes.Span.Slice(i * entryLength, entryLength);
            var port = BinaryPrimitives.ReadUInt16BigEndian(entry[addressLength..]);
            if (port == 0)
            {
                continue;
            }

            into.Add(new IPEndPoint(new IPAddress(entry[..addressLength]), port));
            indexes.Add(i);
        }

        return indexes;
    }

    private static byte[] Compact(IEnumerable<IPEndPoint> peers, int addressLength)
    {
        var list = peers.ToList();
        var bytes = new byte[list.Count * (addressLength + 2)];
        for (var i = 0; i < list.Count; i++)
        {
            var entry = bytes.AsSpan(i * (addressLength + 2));
            list[i].Address.TryWriteBytes(entry, out _);
            BinaryPrimitives.WriteUInt16BigEndian(entry[addressLength..], (ushort)list[i].Port);
        }

        return bytes;
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private static BencodeEntry Entry(string key, byte[] value) => new(BencodeKey.FromAscii(key), new BencodeByteString(value));
}
