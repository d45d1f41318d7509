namespace SmartShare.BitTorrent.Metainfo;

/// <summary>
/// One file of a torrent. <paramref name="Path"/> holds the checked components below the torrent's name (for a
/// single-file torrent, just the name); <paramref name="Offset"/> is where the file starts in the torrent's byte
/// stream, which is what maps pieces onto files.
/// </summary>
public sealed record TorrentFile(IReadOnlyList<string> Path, long Length, long Offset);
