namespace SmartShare.BitTorrent.Metainfo;

/// <summary>
/// The one exception <see cref="TorrentParser"/> throws: the bytes are not a usable v1 .torrent file. The message is a
/// sentence saying what was wrong and where (a key, a file index, or a byte offset for malformed bencode).
/// </summary>
public sealed class TorrentFormatException : FormatException
{
    public TorrentFormatException()
        : base("The torrent file is malformed.")
    {
    }

    public TorrentFormatException(string message)
        : base(message)
    {
    }

    public TorrentFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>
    /// What is wrong, in a sentence that quotes nothing from the data (or null when the message cannot be told without
    /// it), for callers that must not echo a local file's content.
    /// </summary>
    public string? ContentFreeReason { get; init; }
}
