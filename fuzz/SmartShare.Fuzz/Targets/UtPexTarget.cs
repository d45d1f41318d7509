using SmartShare.BitTorrent.PeerWire;

namespace SmartShare.Fuzz.Targets;

/// <summary>A ut_pex (BEP 11) message's payload.</summary>
public static class UtPexTarget
{
    public static void Run(byte[] input)
    {
        try
        {
            _ = PexMessage.Decode(Sequences.TwoSegments(input));
        }
        catch (PeerWireFormatException)
        {
        }
    }
}
