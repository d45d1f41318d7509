namespace SmartShare.BitTorrent.Storage;

/// <summary>
/// A torrent's files cannot be used as asked: a path would leave the download folder, a file is missing or short, or
/// the disk refused a write. The message names the file and, for a full disk, says so (<see cref="IsDiskFull"/>).
/// </summary>
public sealed class TorrentStorageException : Exception
{
    public TorrentStorageException()
    {
    }

    public TorrentStorageException(string message)
        : base(message)
    {
    }

    public TorrentStorageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public TorrentStorageException(string message, string? filePath, bool isDiskFull = false, Exception? innerException = null)
        : base(message, innerException)
    {
        FilePath = filePath;
        IsDiskFull = isDiskFull;
    }

    /// <summary>The file the error is about, when there is one.</summary>
    public string? FilePath { get; }

    /// <summary>The disk (or the user's quota) is full: pausing the download, not dropping data, is the cure.</summary>
    public bool IsDiskFull { get; }
}
