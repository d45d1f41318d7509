namespace SmartShare.BitTorrent.Metainfo;

/// <summary>
/// The bounds a .torrent must respect, so that a hostile file costs little to parse and nothing it describes is
/// absurd enough to hurt the node later (a piece buffer, a file count, a path).
/// </summary>
public static class TorrentLimits
{
    /// <summary>16 MiB: far above real metainfo (a few MiB for the largest torrents), and a bound on parse memory.</summary>
    public const int MaxMetainfoBytes = 16 * 1024 * 1024;

    /// <summary>16 KiB: the block size peers request, so a smaller piece cannot be requested whole.</summary>
    public const int MinPieceLength = 16 * 1024;

    /// <summary>64 MiB: a piece is buffered whole for verification, so this bounds that buffer.</summary>
    public const int MaxPieceLength = 64 * 1024 * 1024;

    /// <summary>How many piece hashes fit in the largest accepted file.</summary>
    public const int MaxPieceCount = MaxMetainfoBytes / InfoHash.Length;

    /// <summary>100,000 files, more than any real torrent; each becomes an open-file candidate and a database row.</summary>
    public const int MaxFiles = 100_000;

    /// <summary>32 components below the torrent's name.</summary>
    public const int MaxPathDepth = 32;

    /// <summary>255 UTF-8 bytes per component, the common file-system limit (ext4, NTFS in UTF-16 units, APFS).</summary>
    public const int MaxComponentBytes = 255;

    /// <summary>1 PiB (2^50 bytes): keeps every offset and sum far from overflowing a <see cref="long"/>.</summary>
    public const long MaxTotalLength = 1L << 50;
}
