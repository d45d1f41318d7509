using SmartShare.Networking;

namespace SmartShare.Fuzz.Targets;

/// <summary>A local-discovery datagram (BEP 14 <c>BT-SEARCH</c>, and our <c>LBRY-SEARCH</c>), as a multicast group delivers it.</summary>
public static class LanAnnounceTarget
{
    public static void Run(byte[] input)
    {
        try
        {
            _ = LanAnnounceFormat.BitTorrent.Decode(input);
        }
        catch (LanAnnounceFormatException)
        {
        }

        try
        {
            _ = LanAnnounceFormat.Lbry.Decode(input);
        }
        catch (LanAnnounceFormatException)
        {
        }
    }
}
