namespace SmartShare.BitTorrent.Metainfo;

/// <summary>
/// The info dictionary of a v1 torrent: what the info hash identifies. <paramref name="Pieces"/> is the
/// concatenation of one 20-byte SHA-1 per piece; the last piece may be shorter than <paramref name="PieceLength"/>.
/// </summary>
public sealed record TorrentInfo(
    string Name,
    int PieceLength,
    ReadOnlyMemory<byte> Pieces,
    IReadOnlyList<TorrentFile> Files,
    long TotalLength,
    bool IsPrivate,
    bool IsSingleFile)
{
    /// <summary>How many pieces the torrent has.</summary>
    public int PieceCount => Pieces.Length / InfoHash.Length;

    /// <summary>The expected SHA-1 of piece <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> GetPieceHash(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, PieceCount);
        return Pieces.Span.Slice(index * InfoHash.Length, InfoHash.Length);
    }

    /// <summary>The length of piece <paramref name="index"/>: the piece length, except for a shorter last piece.</summary>
    public int GetPieceSize(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, PieceCount);
        return (int)Math.Min(PieceLength, TotalLength - ((long)index * PieceLength));
    }
}
