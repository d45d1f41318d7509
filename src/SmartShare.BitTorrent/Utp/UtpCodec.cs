using System.Buffers.Binary;

namespace SmartShare.BitTorrent.Utp;

/// <summary>
/// uTP packets as bytes (BEP 29): the 20-byte header (type in the high nibble of the first byte, version 1 in the
/// low one, then the first extension's type, connection id, timestamp, timestamp difference, window, sequence and
/// ack numbers, all big-endian), a chain of extensions (each: next type, length, bytes), then the payload. Pure and
/// allocation-free; a datagram is hostile input: every length is checked against what is there, and anything else
/// ends in a <see cref="UtpFormatException"/>.
/// </summary>
public static class UtpCodec
{
    /// <summary>Bytes of the fixed header.</summary>
    public const int HeaderLength = 20;

    /// <summary>The only protocol version there is.</summary>
    public const byte Version = 1;

    /// <summary>Extension type of the selective ACK.</summary>
    public const byte SelectiveAckExtension = 1;

    /// <summary>
    /// The most extensions one packet may chain. BEP 29 defines one (libutp once sent a second, 8 bytes of
    /// "extension bits", in its SYN); a longer chain is noise.
    /// </summary>
    public const int MaxExtensions = 4;

    /// <summary>
    /// Whether a datagram on the shared BitTorrent UDP port is uTP rather than the Mainline DHT: a KRPC message is a
    /// bencoded dictionary and starts with 'd' (0x64), which as a uTP first byte would be type 6, version 4.
    /// </summary>
    public static bool LooksLikeUtp(ReadOnlySpan<byte> datagram) =>
        datagram.Length >= HeaderLength && (datagram[0] & 0x0F) == Version && (datagram[0] >> 4) <= (int)UtpPacketType.Syn;

    /// <summary>Reads one packet.</summary>
    /// <exception cref="UtpFormatException">Too short, another version, an unknown type, or an extension chain that does not fit.</exception>
    public static UtpPacket Read(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length < HeaderLength)
        {
            throw new UtpFormatException($"A uTP packet of {datagram.Length} bytes is shorter than the {HeaderLength}-byte header.");
        }

        var version = datagram[0] & 0x0F;
        var type = datagram[0] >> 4;
        if (version != Version)
        {
            throw new UtpFormatException($"A uTP packet of version {version}; only version {Version} exists.");
        }

        if (type > (int)UtpPacketType.Syn)
        {
            throw new UtpFormatException($"A uTP packet of unknown type {type}.");
        }

        var header = new UtpHeader(
            (UtpPacketType)type,
            BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]),
            BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]),
            BinaryPrimitives.ReadUInt32BigEndian(datagram[8..]),
            BinaryPrimitives.ReadUInt32BigEndian(datagram[12..]),
            BinaryPrimitives.ReadUInt16BigEndian(datagram[16..]),
            BinaryPrimitives.ReadUInt16BigEndian(datagram[18..]));

        var next = datagram[1];
        var offset = HeaderLength;
        var selectiveAck = ReadOnlySpan<byte>.Empty;
        for (var count = 0; next != 0; count++)
        {
            if (count == MaxExtensions)
            {
                throw new UtpFormatException($"A uTP packet chains more than {MaxExtensions} extensions.");
            }

            if (datagram.Length - offset < 2)
            {
                throw new UtpFormatException($"A uTP packet's extension {next} is cut off after its type.");
            }

            var kind = next;
            next = datagram[offset];
            int length = datagram[offset + 1];
            offset += 2;
            if (datagram.Length - offset < length)
            {
                throw new UtpFormatException($"A uTP packet's extension {kind} claims {length} bytes; {datagram.Length - offset} follow.");
            }

            if (kind == SelectiveAckExtension && length > 0)
            {
                // BEP 29 asks for a multiple of 4 bytes, which libutp sends; libtorrent sends as many bytes as the
                // bits it needs (1 to 32). Any length is read: bit i of the mask stands for ack_nr + 2 + i.
                if (!selectiveAck.IsEmpty)
                {
                    throw new UtpFormatException("A uTP packet carries two selective ACKs.");
                }

                selectiveAck = datagram.Slice(offset, length);
            }

            // Any other extension is skipped whole, as BEP 29 asks.
            offset += length;
        }

        return new UtpPacket(header, selectiveAck, datagram[offset..]);
    }

    /// <summary>Bytes a packet with this selective ACK and payload takes.</summary>
    public static int Length(int selectiveAckLength, int payloadLength) =>
        HeaderLength + (selectiveAckLength > 0 ? 2 + selectiveAckLength : 0) + payloadLength;

    /// <summary>Writes one packet into <paramref name="destination"/> and returns its length.</summary>
    /// <exception cref="ArgumentException">A selective ACK longer than 255 bytes, or a destination too small.</exception>
    /// <remarks>BEP 29 asks for a selective ACK of a multiple of 4 bytes, which is what the connections write; any
    /// length a packet can carry is written, so that whatever <see cref="Read"/> reads can be written back.</remarks>
    public static int Write(Span<byte> destination, in UtpHeader header, ReadOnlySpan<byte> selectiveAck, ReadOnlySpan<byte> payload)
    {
        if (selectiveAck.Length > byte.MaxValue)
        {
            throw new ArgumentException($"A selective ACK is at most {byte.MaxValue} bytes, not {selectiveAck.Length}.", nameof(selectiveAck));
        }

        var length = Length(selectiveAck.Length, payload.Length);
        if (destination.Length < length)
        {
            throw new ArgumentException($"The packet needs {length} bytes; the destination holds {destination.Length}.", nameof(destination));
        }

        destination[0] = (byte)(((int)header.Type << 4) | Version);
        destination[1] = selectiveAck.IsEmpty ? (byte)0 : SelectiveAckExtension;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], header.ConnectionId);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], header.TimestampMicroseconds);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], header.TimestampDifferenceMicroseconds);
        BinaryPrimitives.WriteUInt32BigEndian(destination[12..], header.WindowSize);
        BinaryPrimitives.WriteUInt16BigEndian(destination[16..], header.SequenceNumber);
        BinaryPrimitives.WriteUInt16BigEndian(destination[18..], header.AckNumber);
        var offset = HeaderLength;
        if (!selectiveAck.IsEmpty)
        {
            destination[offset] = 0;
            destination[offset + 1] = (byte)selectiveAck.Length;
            selectiveAck.CopyTo(destination[(offset + 2)..]);
            offset += 2 + selectiveAck.Length;
        }

        payload.CopyTo(destination[offset..]);
        return length;
    }
}
