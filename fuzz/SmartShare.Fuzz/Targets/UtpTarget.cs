using SmartShare.BitTorrent.Utp;

namespace SmartShare.Fuzz.Targets;

/// <summary>
/// A datagram on the BitTorrent UDP port read as uTP (BEP 29): header, extension chain, selective ACK, payload. The
/// oracle beyond "only UtpFormatException": what was read lies inside the datagram, and a packet written back from
/// what was read reads back the same.
/// </summary>
public static class UtpTarget
{
    public static void Run(byte[] input)
    {
        _ = UtpCodec.LooksLikeUtp(input);
        UtpPacket packet;
        try
        {
            packet = UtpCodec.Read(input);
        }
        catch (UtpFormatException)
        {
            return;
        }

        if (packet.Payload.Length + packet.SelectiveAck.Length + UtpCodec.HeaderLength > input.Length)
        {
            throw new InvalidOperationException("uTP: the packet read is longer than the datagram.");
        }

        for (var i = 0; i < 64; i++)
        {
            _ = UtpSequence.SelectivelyAcked(packet.SelectiveAck, packet.Header.AckNumber, (ushort)(packet.Header.AckNumber + i));
        }

        var again = new byte[UtpCodec.Length(packet.SelectiveAck.Length, packet.Payload.Length)];
        UtpCodec.Write(again, packet.Header, packet.SelectiveAck, packet.Payload);
        var reread = UtpCodec.Read(again);
        if (reread.Header != packet.Header || !reread.SelectiveAck.SequenceEqual(packet.SelectiveAck) || !reread.Payload.SequenceEqual(packet.Payload))
        {
            throw new InvalidOperationException("uTP: a packet written from what was read does not read back the same.");
        }
    }
}
