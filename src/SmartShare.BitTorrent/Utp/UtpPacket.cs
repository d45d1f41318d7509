namespace SmartShare.BitTorrent.Utp;

/// <summary>The five packet types of BEP 29.</summary>
public enum UtpPacketType : byte
{
    /// <summary>ST_DATA: a payload, one sequence number.</summary>
    Data = 0,

    /// <summary>ST_FIN: the sender's last sequence number; the connection closes once everything before it arrived.</summary>
    Fin = 1,

    /// <summary>ST_STATE: an acknowledgement, carrying no payload and no sequence number of its own.</summary>
    State = 2,

    /// <summary>ST_RESET: the sender has no such connection; stop at once.</summary>
    Reset = 3,

    /// <summary>ST_SYN: opens a connection; its connection id is the one the opener receives on.</summary>
    Syn = 4,
}

/// <summary>The fixed 20-byte header of a uTP packet (BEP 29), every field as on the wire.</summary>
/// <param name="Type">The packet type.</param>
/// <param name="ConnectionId">The receiver's connection id (for a SYN: the id the sender will receive on).</param>
/// <param name="TimestampMicroseconds">The sender's clock when it sent the packet, in microseconds, modulo 2^32.</param>
/// <param name="TimestampDifferenceMicroseconds">The sender's last measured one-way delay sample (its clock minus ours).</param>
/// <param name="WindowSize">Bytes the sender can still receive (its advertised receive window).</param>
/// <param name="SequenceNumber">This packet's sequence number, modulo 2^16.</param>
/// <param name="AckNumber">The last sequence number the sender received in order, modulo 2^16.</param>
public readonly record struct UtpHeader(
    UtpPacketType Type,
    ushort ConnectionId,
    uint TimestampMicroseconds,
    uint TimestampDifferenceMicroseconds,
    uint WindowSize,
    ushort SequenceNumber,
    ushort AckNumber);

/// <summary>
/// One uTP packet read from a datagram: the header, the selective-ACK bitmask if the packet carries one (empty
/// otherwise), and the payload. Spans into the datagram: nothing is copied.
/// </summary>
public readonly ref struct UtpPacket
{
    public UtpPacket(UtpHeader header, ReadOnlySpan<byte> selectiveAck, ReadOnlySpan<byte> payload)
    {
        Header = header;
        SelectiveAck = selectiveAck;
        Payload = payload;
    }

    public UtpHeader Header { get; }

    /// <summary>The selective-ACK bitmask (extension 1): bit i (least significant bit of each byte first) says whether ack_nr + 2 + i arrived.</summary>
    public ReadOnlySpan<byte> SelectiveAck { get; }

    public ReadOnlySpan<byte> Payload { get; }
}
