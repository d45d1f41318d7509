using System.Buffers;
using System.Buffers.Binary;

namespace SmartShare.BitTorrent.PeerWire;

/// <summary>
/// Reads and writes peer wire messages (BEP 3, 5, 6, 10): a 4-byte big-endian length, then a 1-byte id and the payload.
/// Reading validates sizes before anything else so that a hostile peer can neither make the reader buffer a huge
/// message nor slip a malformed one past it.
/// </summary>
public static class PeerMessageCodec
{
    /// <summary>The bytes of a piece message before its block: length prefix, id, index and begin.</summary>
    public const int PieceHeaderLength = 13;

    private const int PrefixLength = 4;

    // The longest fixed part any message has: prefix, id, and three 32-bit integers.
    private const int LongestHeader = PrefixLength + 1 + 12;

    /// <summary>
    /// Parses one message from the front of <paramref name="buffer"/>. Returns false if the whole message has not
    /// arrived yet; on success moves <paramref name="buffer"/> past the message. Unknown ids come back as
    /// <see cref="PeerMessageType.Unknown"/> with the raw id in <see cref="PeerMessage.ExtendedId"/>.
    /// </summary>
    /// <param name="buffer">The bytes received so far.</param>
    /// <param name="maxMessageLength">The largest length prefix accepted; it is checked before the body arrives.</param>
    /// <param name="message">The message read.</param>
    /// <exception cref="PeerWireFormatException">The length is over the limit, a message has the wrong size for its id,
    /// or an index, offset or length is 2^31 or more.</exception>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, int maxMessageLength, out PeerMessage message)
    {
        message = default;
        var available = buffer.Length;
        if (available < PrefixLength)
        {
            return false;
        }

        Span<byte> scratch = stackalloc byte[LongestHeader];
        var first = buffer.FirstSpan;
        scoped ReadOnlySpan<byte> header;
        if (first.Length >= LongestHeader || first.Length == available)
        {
            header = first;
        }
        else
        {
            var copied = (int)Math.Min(available, LongestHeader);
            buffer.Slice(0, copied).CopyTo(scratch);
            header = scratch[..copied];
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(header);
        if (length > (uint)Math.Max(maxMessageLength, 0))
        {
            throw new PeerWireFormatException($"A peer sent a message of {length} bytes; the limit is {maxMessageLength}.");
        }

        if (length == 0)
        {
            message = new PeerMessage(PeerMessageType.KeepAlive);
            buffer = buffer.Slice(PrefixLength);
            return true;
        }

        var total = PrefixLength + (long)length;
        if (available < total)
        {
            return false;
        }

        var id = header[PrefixLength];
        var body = header[(PrefixLength + 1)..];
        var bodyLength = (int)length - 1;
        var type = (PeerMessageType)id;
        switch (type)
        {
            case PeerMessageType.Choke:
            case PeerMessageType.Unchoke:
            case PeerMessageType.Interested:
            case PeerMessageType.NotInterested:
            case PeerMessageType.HaveAll:
            case PeerMessageType.HaveNone:
                ExpectBody(type, bodyLength, 0);
                message = new PeerMessage(type);
                break;
            case PeerMessageType.Have:
            case PeerMessageType.Suggest:
            case PeerMessageType.AllowedFast:
                ExpectBody(type, bodyLength, 4);
                message = new PeerMessage(type, index: ReadInt(type, body, "piece index"));
                break;
            case PeerMessageType.Request:
            case PeerMessageType.Cancel:
            case PeerMessageType.Reject:
                ExpectBody(type, bodyLength, 12);
                message = new PeerMessage(
                    type,
                    index: ReadInt(type, body, "piece index"),
                    begin: ReadInt(type, body[4..], "offset"),
                    length: ReadInt(type, body[8..], "length"));
                break;
            case PeerMessageType.Piece:
                if (bodyLength < 8)
                {
                    throw new PeerWireFormatException($"A peer sent a piece message of {length} bytes; it needs at least 9.");
                }

                message = new PeerMessage(
                    type,
                    index: ReadInt(type, body, "piece index"),
                    begin: ReadInt(type, body[4..], "offset"),
                    length: bodyLength - 8,
                    payload: buffer.Slice(PieceHeaderLength, bodyLength - 8));
                break;
            case PeerMessageType.Bitfield:
                message = new PeerMessage(type, payload: buffer.Slice(PrefixLength + 1, bodyLength));
                break;
            case PeerMessageType.Port:
                ExpectBody(type, bodyLength, 2);
                message = new PeerMessage(type, port: BinaryPrimitives.ReadUInt16BigEndian(body));
                break;
            case PeerMessageType.Extended:
                if (bodyLength < 1)
                {
                    throw new PeerWireFormatException($"A peer sent an extended message of {length} bytes; it needs at least 2.");
                }

                message = new PeerMessage(type, extendedId: body[0], payload: buffer.Slice(PrefixLength + 2, bodyLength - 1));
                break;
            default:
                message = new PeerMessage(PeerMessageType.Unknown, extendedId: id, payload: buffer.Slice(PrefixLength + 1, bodyLength));
                break;
        }

        buffer = buffer.Slice(total);
        return true;
    }

    /// <summary>Writes a message without payload: choke, unchoke, interested, not interested, have all, have none, or keep-alive.</summary>
    public static void Write(IBufferWriter<byte> writer, PeerMessageType type)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (type == PeerMessageType.KeepAlive)
        {
            var keepAlive = writer.GetSpan(PrefixLength);
            BinaryPrimitives.WriteUInt32BigEndian(keepAlive, 0);
            writer.Advance(PrefixLength);
            return;
        }

        if (type is not (PeerMessageType.Choke or PeerMessageType.Unchoke or PeerMessageType.Interested or PeerMessageType.NotInterested
            or PeerMessageType.HaveAll or PeerMessageType.HaveNone))
        {
            throw new ArgumentException($"A {type} message is not one without payload.", nameof(type));
        }

        var span = writer.GetSpan(PrefixLength + 1);
        BinaryPrimitives.WriteUInt32BigEndian(span, 1);
        span[PrefixLength] = (byte)type;
        writer.Advance(PrefixLength + 1);
    }

    /// <summary>Writes a message whose payload is one piece index: have, suggest, or allowed fast.</summary>
    public static void WriteIndex(IBufferWriter<byte> writer, PeerMessageType type, int index)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (type is not (PeerMessageType.Have or PeerMessageType.Suggest or PeerMessageType.AllowedFast))
        {
            throw new ArgumentException($"A {type} message does not carry just a piece index.", nameof(type));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(index);
        var span = writer.GetSpan(PrefixLength + 5);
        BinaryPrimitives.WriteUInt32BigEndian(span, 5);
        span[PrefixLength] = (byte)type;
        BinaryPrimitives.WriteInt32BigEndian(span[(PrefixLength + 1)..], index);
        writer.Advance(PrefixLength + 5);
    }

    /// <summary>Writes a request, cancel or reject: piece index, offset and length.</summary>
    public static void WriteBlockRequest(IBufferWriter<byte> writer, PeerMessageType type, int index, int begin, int length)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (type is not (PeerMessageType.Request or PeerMessageType.Cancel or PeerMessageType.Reject))
        {
            throw new ArgumentException($"A {type} message is not a block request.", nameof(type));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfNegative(begin);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var span = writer.GetSpan(PrefixLength + 13);
        BinaryPrimitives.WriteUInt32BigEndian(span, 13);
        span[PrefixLength] = (byte)type;
        BinaryPrimitives.WriteInt32BigEndian(span[(PrefixLength + 1)..], index);
        BinaryPrimitives.WriteInt32BigEndian(span[(PrefixLength + 5)..], begin);
        BinaryPrimitives.WriteInt32BigEndian(span[(PrefixLength + 9)..], length);
        writer.Advance(PrefixLength + 13);
    }

    /// <summary>Writes a bitfield message with the given bytes (see <see cref="Bitfield"/> for the layout).</summary>
    public static void WriteBitfield(IBufferWriter<byte> writer, ReadOnlySpan<byte> bits) =>
        WriteWithPayload(writer, PeerMessageType.Bitfield, bits);

    /// <summary>Writes a port message (BEP 5): the peer's DHT port.</summary>
    public static void WritePort(IBufferWriter<byte> writer, ushort port)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var span = writer.GetSpan(PrefixLength + 3);
        BinaryPrimitives.WriteUInt32BigEndian(span, 3);
        span[PrefixLength] = (byte)PeerMessageType.Port;
        BinaryPrimitives.WriteUInt16BigEndian(span[(PrefixLength + 1)..], port);
        writer.Advance(PrefixLength + 3);
    }

    /// <summary>Writes an extended message (BEP 10): the extended id (0 for the extension handshake), then the payload.</summary>
    public static void WriteExtended(IBufferWriter<byte> writer, byte extendedId, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(writer);
        CheckPayloadLength(payload.Length, 2);
        var span = writer.GetSpan(PrefixLength + 2 + payload.Length);
        BinaryPrimitives.WriteUInt32BigEndian(span, (uint)(2 + payload.Length));
        span[PrefixLength] = (byte)PeerMessageType.Extended;
        span[PrefixLength + 1] = extendedId;
        payload.CopyTo(span[(PrefixLength + 2)..]);
        writer.Advance(PrefixLength + 2 + payload.Length);
    }

    /// <summary>
    /// Writes the 13 bytes that precede a piece message's block; the caller appends the <paramref name="blockLength"/>
    /// block bytes itself.
    /// </summary>
    public static void WritePieceHeader(Span<byte> destination, int index, int begin, int blockLength)
    {
        if (destination.Length < PieceHeaderLength)
        {
            throw new ArgumentException($"A piece header needs {PieceHeaderLength} bytes of room, not {destination.Length}.", nameof(destination));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfNegative(begin);
        ArgumentOutOfRangeException.ThrowIfNegative(blockLength);
        CheckPayloadLength(blockLength, 9);
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)(9 + blockLength));
        destination[PrefixLength] = (byte)PeerMessageType.Piece;
        BinaryPrimitives.WriteInt32BigEndian(destination[(PrefixLength + 1)..], index);
        BinaryPrimitives.WriteInt32BigEndian(destination[(PrefixLength + 5)..], begin);
    }

    /// <summary>Writes a whole piece message: header and block.</summary>
    public static void WritePiece(IBufferWriter<byte> writer, int index, int begin, ReadOnlySpan<byte> block)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var span = writer.GetSpan(PieceHeaderLength + block.Length);
        WritePieceHeader(span, index, begin, block.Length);
        block.CopyTo(span[PieceHeaderLength..]);
        writer.Advance(PieceHeaderLength + block.Length);
    }

    private static void WriteWithPayload(IBufferWriter<byte> writer, PeerMessageType type, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(writer);
        CheckPayloadLength(payload.Length, 1);
        var span = writer.GetSpan(PrefixLength + 1 + payload.Length);
        BinaryPrimitives.WriteUInt32BigEndian(span, (uint)(1 + payload.Length));
        span[PrefixLength] = (byte)type;
        payload.CopyTo(span[(PrefixLength + 1)..]);
        writer.Advance(PrefixLength + 1 + payload.Length);
    }

    private static void CheckPayloadLength(int payloadLength, int overhead)
    {
        if (payloadLength > int.MaxValue - PrefixLength - overhead)
        {
            throw new ArgumentException($"A payload of {payloadLength} bytes does not fit in one message.", nameof(payloadLength));
        }
    }

    private static void ExpectBody(PeerMessageType type, int bodyLength, int expected)
    {
        if (bodyLength != expected)
        {
            throw new PeerWireFormatException($"A peer sent a {type} message of {bodyLength + 1} bytes; it must be {expected + 1}.");
        }
    }

    private static int ReadInt(PeerMessageType type, ReadOnlySpan<byte> bytes, string what)
    {
        var value = BinaryPrimitives.ReadUInt32BigEndian(bytes);
        return value <= int.MaxValue
            ? (int)value
            : throw new PeerWireFormatException($"A peer sent a {type} message with {what} {value}; the most this client accepts is {int.MaxValue}.");
    }
}
