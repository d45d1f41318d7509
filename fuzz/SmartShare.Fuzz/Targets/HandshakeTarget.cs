using SmartShare.BitTorrent.PeerWire;

namespace SmartShare.Fuzz.Targets;

/// <summary>The 68-byte BitTorrent handshake.</summary>
public static class HandshakeTarget
{
    public static void Run(byte[] input)
    {
        try
        {
            _ = HandshakeCodec.TryRead(Sequences.TwoSegments(input), out _);
        }
        catch (PeerWireFormatException)
        {
        }
    }
}
