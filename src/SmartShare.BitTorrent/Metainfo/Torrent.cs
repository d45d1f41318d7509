namespace SmartShare.BitTorrent.Metainfo;

/// <summary>
/// A parsed v1 .torrent file. <paramref name="RawInfo"/> is a copy of the exact bytes of the info dictionary as they
/// appeared in the file, because the info hash and the ut_metadata exchange (BEP 9) must use those bytes, not a
/// re-encoding. Optional fields that were missing or malformed are null or empty.
/// </summary>
/// <param name="AnnounceList">Tracker tiers (BEP 12), in file order; empty when the file has none.</param>
/// <param name="Nodes">DHT bootstrap contacts (BEP 5).</param>
/// <param name="UrlList">Web seeds (BEP 19), from a single string or a list.</param>
public sealed record Torrent(
    TorrentInfo Info,
    InfoHash InfoHash,
    ReadOnlyMemory<byte> RawInfo,
    string? Announce,
    IReadOnlyList<IReadOnlyList<string>> AnnounceList,
    IReadOnlyList<TorrentNode> Nodes,
    IReadOnlyList<string> UrlList,
    string? Comment,
    string? CreatedBy,
    DateTimeOffset? CreationDate);
