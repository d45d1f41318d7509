namespace SmartShare.BitTorrent.Metainfo;

/// <summary>
/// The info dictionary of a v1 torrent: what the info hash identifies. <paramref name="Pieces"/> is the
/// concatenation of one 20-byte SHA-1 per piece; the last piece may be shorter than <paramref name="PieceLength"/>.
/// <paramref name="Files"/> are in torrent order; a hybrid torrent's pad files are left out, so its files may leave
/// gaps of padding (zeros, never stored) in the byte stream of <paramref name="TotalLength"/> bytes.
/// </summary>
/// <param name="IsHybrid">A hybrid v1/v2 torrent (BEP 52 <c>meta version</c> 2 beside v1 <c>pieces</c>), read through its v1 part.</param>
public sealed record TorrentInfo(
    string Name,
    int PieceLength,
    ReadOnlyMemory<byte> Pieces,
    IReadOnlyList<TorrentFile> Files,
    long TotalLength,
    bool IsPrivate,
    bool IsSingleFile,
    bool IsHybrid = false)
{
    /// <summary>The bytes of the files themselves, without padding.</summary>
    public long ContentLength => Files.Sum(file => file.Length);

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
