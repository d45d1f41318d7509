namespace SmartShare.BitTorrent.Metainfo;

/// <summary>A DHT bootstrap contact from a torrent's <c>nodes</c> list (BEP 5): a host name or address and a UDP port.</summary>
public sealed record TorrentNode(string Host, int Port);
