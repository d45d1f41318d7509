namespace SmartShare.BitTorrent.Engine;

/// <summary>
/// Fetching the pieces still missing: peers are asked for blocks, and verified pieces are served meanwhile. Each tick
/// snubs silent peers, says interest, tops up pipelines, runs PEX and the choke round, and dials more peers.
/// </summary>
internal sealed class DownloadingMode : TorrentMode
{
    public override TorrentState State => TorrentState.Downloading;

    public override bool RequestsPieces => true;

    public override bool AcceptsUploads => true;

    public override bool AcceptsPeers => true;

    public override void Tick(SessionTicker ticker) => ticker.TickPeers();
}
