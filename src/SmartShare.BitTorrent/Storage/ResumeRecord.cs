using SmartShare.IO;

namespace SmartShare.BitTorrent.Storage;

/// <summary>A torrent's resume record: the verified pieces and, when recorded, its files' stamps.</summary>
public sealed record ResumeRecord(Bitfield Pieces, FileStamp[]? Stamps);
