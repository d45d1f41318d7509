namespace SmartShare.BitTorrent.Utp;

/// <summary>
/// Arithmetic on uTP's wrapping counters: 16-bit sequence and ack numbers and 32-bit microsecond timestamps are
/// compared modulo their range (the one that is less than half the range ahead is the later).
/// </summary>
public static class UtpSequence
{
    /// <summary>Whether sequence number <paramref name="a"/> comes before <paramref name="b"/> (modulo 2^16).</summary>
    public static bool Before(ushort a, ushort b) => (short)(ushort)(a - b) < 0;

    /// <summary>How far <paramref name="later"/> is ahead of <paramref name="earlier"/> (modulo 2^16; negative when behind).</summary>
    public static int Distance(ushort earlier, ushort later) => (short)(ushort)(later - earlier);

    /// <summary>Whether timestamp <paramref name="a"/> comes before <paramref name="b"/> (microseconds, modulo 2^32).</summary>
    public static bool Before(uint a, uint b) => (int)(a - b) < 0;

    /// <summary>
    /// Whether the selective ACK <paramref name="mask"/> of a packet acking <paramref name="ackNumber"/> says
    /// <paramref name="sequence"/> arrived: bit i stands for ack_nr + 2 + i (ack_nr + 1 is by definition missing).
    /// </summary>
    public static bool SelectivelyAcked(ReadOnlySpan<byte> mask, ushort ackNumber, ushort sequence)
    {
        var index = Distance((ushort)(ackNumber + 2), sequence);
        return index >= 0 && index < mask.Length * 8 && (mask[index >> 3] & (1 << (index & 7))) != 0;
    }
}
