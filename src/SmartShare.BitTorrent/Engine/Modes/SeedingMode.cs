namespace SmartShare.BitTorrent.Engine;

/// <summary>
/// Every piece verified and the files complete: serves peers and asks for nothing. Entered after a download
/// finishes, it tells the trackers, stops being interested and drops the seeds among its peers; either way it
/// completes the session's <see cref="TorrentSession.Completed"/>. The tick runs as while downloading (choke rounds,
/// PEX, keep-alives), finding nothing to request. A torrent done with the files the user wants but missing others
/// (<paramref name="whole"/> false) is in this mode too ("done", as Transmission says): it seeds what it has, stops
/// being interested, but neither tells the trackers "completed" nor drops seeds, which wanting more would need.
/// </summary>
internal sealed class SeedingMode(
    Lock sessionLock,
    List<PeerSession> peers,
    SessionTrackers trackers,
    TaskCompletionSource completed,
    Func<bool> whole,
    Action<string> log) : TorrentMode
{
    public override TorrentState State => TorrentState.Seeding;

    public override bool AcceptsUploads => true;

    public override bool AcceptsPeers => true;

    public override bool IsComplete => true;

    public override void Enter(TorrentMode previous)
    {
        if (previous is DownloadingMode && !whole())
        {
            log("the wanted files are complete; seeding what the torrent has");
            lock (sessionLock)
            {
                foreach (var peer in peers)
                {
                    peer.AmInterested = false;
                }
            }
        }
        else if (previous is DownloadingMode)
        {
            trackers.AnnounceCompleted();
            log("download complete; seeding");
            List<PeerSession> seeds;
            lock (sessionLock)
            {
                seeds = peers.Where(p => p.Has.IsComplete).ToList();
                foreach (var peer in peers)
                {
                    peer.AmInterested = false;
                }
            }

            foreach (var seed in seeds)
            {
                seed.Close();
            }
        }

        completed.TrySetResult();
    }

    public override void Tick(SessionTicker ticker) => ticker.TickPeers();
}
