using SmartShare.BitTorrent.PeerWire;

namespace SmartShare.Fuzz.Targets;

/// <summary>A stream of peer-wire messages after the handshake, read until a message is incomplete.</summary>
public static class PeerWireTarget
{
    public static void Run(byte[] input)
    {
        var buffer = Sequences.TwoSegments(input);
        try
        {
            while (PeerMessageCodec.TryRead(ref buffer, maxMessageLength: 1 << 17, out _))
            {
            }
        }
        catch (PeerWireFormatException)
        {
        }
    }
}
