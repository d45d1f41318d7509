using SmartShare.BitTorrent.PeerWire;

namespace SmartShare.Fuzz.Targets;

/// <summary>The BEP 10 extension handshake (extended message 0's payload).</summary>
public static class ExtensionHandshakeTarget
{
    public static void Run(byte[] input)
    {
        try
        {
            _ = ExtensionHandshake.Decode(Sequences.TwoSegments(input));
        }
        catch (PeerWireFormatException)
        {
        }
    }
}
