using SmartShare.BitTorrent.PeerWire;

namespace SmartShare.Fuzz.Targets;

/// <summary>A ut_metadata (BEP 9) message's payload.</summary>
public static class UtMetadataTarget
{
    public static void Run(byte[] input)
    {
        try
        {
            _ = MetadataMessage.Decode(Sequences.TwoSegments(input));
        }
        catch (PeerWireFormatException)
        {
        }
    }
}
