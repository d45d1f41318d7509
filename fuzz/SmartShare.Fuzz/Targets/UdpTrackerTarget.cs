using SmartShare.BitTorrent;
using SmartShare.BitTorrent.Trackers;

namespace SmartShare.Fuzz.Targets;

/// <summary>
/// A UDP tracker datagram, read as a connect, announce and scrape reply. The transaction id expected is the one the
/// datagram carries, so the fuzzer gets past that check.
/// </summary>
public static class UdpTrackerTarget
{
    private static readonly InfoHash Hash = InfoHash.FromBytes(new byte[20]);

    public static void Run(byte[] input)
    {
        _ = UdpTrackerCodec.TryReadTransactionId(input, out var transactionId);
        try
        {
            _ = UdpTrackerCodec.ParseConnectResponse(input, transactionId);
        }
        catch (TrackerException)
        {
        }

        try
        {
            _ = UdpTrackerCodec.ParseAnnounceResponse(input, transactionId, maxPeers: 200);
        }
        catch (TrackerException)
        {
        }

        try
        {
            _ = UdpTrackerCodec.ParseScrapeResponse(input, transactionId);
        }
        catch (TrackerException)
        {
        }
    }
}
