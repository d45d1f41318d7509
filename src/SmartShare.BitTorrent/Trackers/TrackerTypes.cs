using System.Net;

namespace SmartShare.BitTorrent.Trackers;

/// <summary>The event an announce reports (BEP 3); <see cref="None"/> is a regular announce.</summary>
public enum TrackerEvent
{
    None,
    Started,
    Completed,
    Stopped,
}

/// <summary>
/// One announce. <paramref name="PeerId"/> is the 20-byte peer id; <paramref name="Key"/> is sent as 8 hex digits
/// over HTTP and as a 32-bit integer over UDP. <paramref name="TrackerId"/> is the "tracker id" a tracker handed out
/// before, sent back over HTTP.
/// </summary>
public sealed record AnnounceRequest(
    InfoHash InfoHash,
    ReadOnlyMemory<byte> PeerId,
    int Port,
    long Uploaded,
    long Downloaded,
    long Left,
    TrackerEvent Event,
    int NumWant = 200,
    uint Key = 0,
    string? TrackerId = null);

/// <summary>A tracker's answer to an announce. Peers hold no port-0 entries and no duplicates.</summary>
public sealed record AnnounceResponse(
    TimeSpan Interval,
    TimeSpan? MinInterval,
    IReadOnlyList<IPEndPoint> Peers,
    int? Seeders,
    int? Leechers,
    string? WarningMessage,
    string? TrackerId);

/// <summary>A tracker's counts for one torrent.</summary>
public sealed record ScrapeResponse(int Seeders, int Completed, int Leechers);

/// <summary>One tracker, over HTTP(S) or UDP.</summary>
public interface ITrackerClient
{
    /// <summary>The announce URL.</summary>
    Uri Uri { get; }

    /// <exception cref="TrackerException">The tracker refused, could not be reached, timed out or answered nonsense.</exception>
    Task<AnnounceResponse> AnnounceAsync(AnnounceRequest request, CancellationToken cancellationToken);

    /// <summary>The tracker's counts, or null when it has no scrape URL or does not know the hash.</summary>
    /// <exception cref="TrackerException">The tracker refused, could not be reached, timed out or answered nonsense.</exception>
    Task<ScrapeResponse?> ScrapeAsync(InfoHash infoHash, CancellationToken cancellationToken);
}

/// <summary>How one tracker of a torrent stands, for views (the web UI, Transmission's trackerStats).</summary>
/// <param name="Tier">Its BEP 12 tier, from 0.</param>
/// <param name="LastAnnounce">When it last answered or failed, or null when not yet asked.</param>
/// <param name="Error">Why the last announce failed, or null when it answered (or was not asked yet).</param>
/// <param name="Peers">How many peers its last answer held.</param>
public sealed record TrackerStatus(Uri Url, int Tier, DateTimeOffset? LastAnnounce, string? Error, int? Seeders, int? Leechers, int Peers);
