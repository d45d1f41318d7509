using SmartShare.BitTorrent;
using SmartShare.BitTorrent.Trackers;

namespace SmartShare.Fuzz.Targets;

/// <summary>An HTTP tracker's body, read both as an announce and as a scrape reply.</summary>
public static class HttpTrackerTarget
{
    private static readonly InfoHash Hash = InfoHash.FromBytes(new byte[20]);

    public static void Run(byte[] input)
    {
        try
        {
            _ = HttpTrackerCodec.ParseAnnounce(input, maxPeers: 200);
        }
        catch (TrackerException)
        {
        }

        try
        {
            _ = HttpTrackerCodec.ParseScrape(input, Hash);
        }
        catch (TrackerException)
        {
        }
    }
}
