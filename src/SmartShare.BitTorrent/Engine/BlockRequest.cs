namespace SmartShare.BitTorrent.Engine;

/// <summary>One block of a piece: what a request, a cancel or a reject names.</summary>
public readonly record struct BlockRequest(int Index, int Begin, int Length)
{
    /// <summary>16 KiB: the block size every client requests and accepts.</summary>
    public const int BlockSize = 16 * 1024;

    /// <summary>A key unique per block of a torrent, for sets and dictionaries.</summary>
    public long Key => ((long)Index << 32) | (uint)Begin;
}
