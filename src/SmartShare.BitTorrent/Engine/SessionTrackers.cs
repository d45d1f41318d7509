using System.Net;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.PeerWire;
using SmartShare.BitTorrent.Trackers;

namespace SmartShare.BitTorrent.Engine;

/// <summary>
/// A torrent's trackers: announces to the metainfo's tiers (BEP 12) on the session's clock, hands the peers they
/// return to the dialer, says "completed" when the download finishes and "stopped" when the session ends. Holds no
/// lock of its own; what is left to download comes from the <see cref="ProgressReporter"/> (which takes the
/// session's lock).
/// </summary>
internal sealed class SessionTrackers(
    TimeProvider time,
    Torrent torrent,
    PeerId peerId,
    TorrentSessionOptions options,
    IRandomSource random,
    Func<Uri, ITrackerClient>? clients,
    ProgressReporter progress,
    Action<IEnumerable<IPEndPoint>> addPeers,
    Action<string> log)
{
    private static readonly TimeSpan StopLimit = TimeSpan.FromSeconds(5);

    private volatile TrackerAnnouncer? _announcer;

    /// <summary>The last tracker error, or null while the trackers answer (or there are none).</summary>
    public string? LastError => _announcer?.LastError;

    /// <summary>The trackers announced to and how each last answered; empty when the session announces to none.</summary>
    public IReadOnlyList<TrackerStatus> Trackers => _announcer?.Trackers ?? [];

    /// <summary>When the trackers are next asked for peers, or null when not announcing.</summary>
    public DateTimeOffset? NextAnnounce => _announcer?.NextAnnounce;

    /// <summary>Starts announcing, when the session has tracker clients and the torrent names trackers.</summary>
    public void Start()
    {
        if (clients is null)
        {
            return;
        }

        var tiers = TrackerTiers.FromTorrent(torrent.Announce, torrent.AnnounceList);
        if (tiers.Count == 0)
        {
            return;
        }

        var announcer = new TrackerAnnouncer(new TrackerTiers(tiers, random), clients, Request, addPeers, time, log);
        _announcer = announcer;
        announcer.Start();
    }

    /// <summary>Tells the trackers the download finished.</summary>
    public void AnnounceCompleted() => _announcer?.AnnounceNow(TrackerEvent.Completed);

    /// <summary>Sends "stopped" (waiting at most 5 s of the session's clock) and stops announcing.</summary>
    public async Task StopAsync()
    {
        if (_announcer is not { } announcer)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(StopLimit, time);
        try
        {
            await announcer.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or TrackerException)
        {
        }

        await announcer.DisposeAsync().ConfigureAwait(false);
    }

    private AnnounceRequest Request(TrackerEvent trackerEvent) =>
        new(torrent.InfoHash, peerId.ToArray(), options.ListenPort, progress.Upload.Total, progress.Download.Total, progress.Left(), trackerEvent);
}
