namespace SmartShare.BitTorrent.Engine;

/// <summary>A magnet's metadata fetch as it stands, for a progress display.</summary>
/// <param name="PeersKnown">Peers known to ask (from the link, trackers, the DHT and peer exchange).</param>
/// <param name="PeersConnected">Peers connected now.</param>
/// <param name="Size">The info dictionary's size once a peer announced it, else null.</param>
/// <param name="PiecesHave">Its 16 KiB pieces received so far.</param>
/// <param name="PiecesTotal">Its pieces in all (0 while the size is unknown).</param>
public sealed record MetadataProgress(int PeersKnown, int PeersConnected, int? Size, int PiecesHave, int PiecesTotal);
