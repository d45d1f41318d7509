using System.Buffers;
using SmartShare.Bencode;
using SmartShare.BitTorrent.Metainfo;

namespace SmartShare.BitTorrent.PeerWire;

/// <summary>The <c>msg_type</c> of a ut_metadata message (BEP 9); <see cref="Unknown"/> for any other, which BEP 9 says to ignore.</summary>
public enum MetadataMessageType
{
    Request = 0,
    Data = 1,
    Reject = 2,
    Unknown = 255,
}

/// <summary>
/// One ut_metadata message (BEP 9): a request for, the data of, or a refusal of one 16 KiB piece of a torrent's
/// info dictionary. <see cref="Block"/> (data only) is a copy, valid after the next read.
/// </summary>
public readonly record struct MetadataMessage(MetadataMessageType Type, int Piece, int TotalSize, ReadOnlyMemory<byte> Block)
{
    /// <summary>The extension's name in the BEP 10 handshake's "m".</summary>
    public const string ExtensionName = "ut_metadata";

    /// <summary>Metadata travels in pieces of 16 KiB; only the last may be shorter.</summary>
    public const int BlockSize = 16 * 1024;

    /// <summary>The largest info dictionary accepted: the .torrent limit.</summary>
    public const int MaxMetadataSize = TorrentLimits.MaxMetainfoBytes;

    /// <summary>How many pieces the largest accepted info dictionary has.</summary>
    public const int MaxPieces = MaxMetadataSize / BlockSize;

    // A data message is its small dictionary plus one block; anything much larger is not ut_metadata.
    private const int MaxHeaderLength = 512;

    private static readonly BencodeLimits Limits = new()
    {
        MaxDepth = 2,
        MaxByteStringLength = MaxHeaderLength,
        MaxItems = 64,
    };

    /// <summary>How many 16 KiB pieces an info dictionary of <paramref name="totalSize"/> bytes has.</summary>
    public static int PieceCount(int totalSize) => (int)(((long)totalSize + BlockSize - 1) / BlockSize);

    /// <summary>The length of piece <paramref name="piece"/> of an info dictionary of <paramref name="totalSize"/> bytes.</summary>
    public static int PieceLength(int piece, int totalSize) => Math.Min(BlockSize, totalSize - (piece * BlockSize));

    public static byte[] EncodeRequest(int piece) => EncodeHeader(MetadataMessageType.Request, piece, null, []);

    public static byte[] EncodeReject(int piece) => EncodeHeader(MetadataMessageType.Reject, piece, null, []);

    /// <summary>A data message: the dictionary, then the block's raw bytes.</summary>
    public static byte[] EncodeData(int piece, int totalSize, ReadOnlySpan<byte> block) =>
        EncodeHeader(MetadataMessageType.Data, piece, totalSize, block);

    /// <summary>
    /// Decodes the payload of a ut_metadata extended message (after the extended id byte). A data message must carry
    /// <c>total_size</c> within 16 MiB, a piece index below ceil(total_size / 16 KiB) and a block of exactly 16 KiB,
    /// or the remainder for the last piece.
    /// </summary>
    /// <exception cref="PeerWireFormatException">Not bencode, a required key missing or out of range, or a block of the wrong length.</exception>
    public static MetadataMessage Decode(ReadOnlySequence<byte> payload)
    {
        if (payload.Length > MaxHeaderLength + BlockSize)
        {
            throw new PeerWireFormatException($"A ut_metadata message of {payload.Length} bytes is longer than a 16 KiB piece with its header.");
        }

        var bytes = payload.ToArray();
        int headerLength;
        BencodeValue root;
        try
        {
            var reader = new BencodeReader(bytes.AsSpan(0, Math.Min(bytes.Length, MaxHeaderLength)), BencodeMode.Strict, Limits);
            if (!reader.Read() || reader.TokenType != BencodeTokenType.DictionaryStart)
            {
                throw new PeerWireFormatException("A ut_metadata message does not start with a bencoded dictionary.");
            }

            reader.Skip();
            headerLength = reader.BytesConsumed;
            root = BencodeDecoder.Decode(bytes.AsMemory(0, headerLength), BencodeMode.Strict, Limits);
        }
        catch (BencodeFormatException e)
        {
            throw new PeerWireFormatException($"A ut_metadata message's dictionary is not valid bencode: {e.Message}", e);
        }

        var dictionary = (BencodeDictionary)root;
        var rawType = GetInteger(dictionary, "msg_type") ?? throw new PeerWireFormatException("A ut_metadata message has no integer \"msg_type\".");
        var piece = GetInteger(dictionary, "piece") ?? throw new PeerWireFormatException("A ut_metadata message has no integer \"piece\".");
        if (piece is < 0 or >= MaxPieces)
        {
            throw new PeerWireFormatException($"A ut_metadata message names piece {piece}; metadata has at most {MaxPieces} pieces.");
        }

        var type = rawType is >= 0 and <= 2 ? (MetadataMessageType)rawType : MetadataMessageType.Unknown;
        if (type != MetadataMessageType.Data)
        {
            return new MetadataMessage(type, (int)piece, 0, ReadOnlyMemory<byte>.Empty);
        }

        var totalSize = GetInteger(dictionary, "total_size") ?? throw new PeerWireFormatException("A ut_metadata data message has no integer \"total_size\".");
        if (totalSize is <= 0 or > MaxMetadataSize)
        {
            throw new PeerWireFormatException($"A ut_metadata data message says the metadata is {totalSize} bytes; the limit is {MaxMetadataSize}.");
        }

        var size = (int)totalSize;
        if (piece >= PieceCount(size))
        {
            throw new PeerWireFormatException($"A ut_metadata data message carries piece {piece} of metadata that has {PieceCount(size)} pieces.");
        }

        var expected = PieceLength((int)piece, size);
        var blockLength = bytes.Length - headerLength;
        if (blockLength != expected)
        {
            throw new PeerWireFormatException($"A ut_metadata data message carries {blockLength} bytes for piece {piece}; it should carry {expected}.");
        }

        return new MetadataMessage(type, (int)piece, size, bytes.AsMemory(headerLength));
    }

    private static byte[] EncodeHeader(MetadataMessageType type, int piece, int? totalSize, ReadOnlySpan<byte> block)
    {
        var entries = new List<BencodeEntry>
        {
            new(BencodeKey.FromAscii("msg_type"), new BencodeInteger((long)type)),
            new(BencodeKey.FromAscii("piece"), new BencodeInteger(piece)),
        };
        if (totalSize is { } size)
        {
            entries.Add(new(BencodeKey.FromAscii("total_size"), new BencodeInteger(size)));
        }

        var header = BencodeEncoder.Encode(new BencodeDictionary(entries), BencodeMode.Strict);
        var message = new byte[header.Length + block.Length];
        header.CopyTo(message, 0);
        block.CopyTo(message.AsSpan(header.Length));
        return message;
    }

    private static long? GetInteger(BencodeDictionary dictionary, string key) =>
        dictionary.TryGetValue(key, out var value) && value is BencodeInteger { Value: var number } ? number : null;
}
