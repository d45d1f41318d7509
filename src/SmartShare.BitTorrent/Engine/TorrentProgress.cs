namespace SmartShare.BitTorrent.Engine;

/// <summary>Where a torrent stands.</summary>
public enum TorrentState
{
    /// <summary>Re-hashing pieces recorded by an earlier run.</summary>
    Checking,

    Downloading,

    /// <summary>Complete and serving peers.</summary>
    Seeding,

    /// <summary>Stopped by the user or by a problem (see the error).</summary>
    Stopped,
}

/// <summary>A snapshot of one torrent's transfer, for progress bars, lists and the API.</summary>
/// <param name="WantedBytes">
/// The bytes of the pieces overlapping wanted files (Transmission's sizeWhenDone): <see cref="TotalBytes"/> when every
/// file is wanted, null from callers that do not count it.
/// </param>
/// <param name="WantedVerifiedBytes">Of those, the bytes verified.</param>
/// <param name="PiecesLost">Verified pieces found damaged on disk when read to serve them (fetched again).</param>
/// <param name="Note">Why the last of them is fetched again, or null.</param>
public sealed record TorrentProgress(
    TorrentState State,
    long TotalBytes,
    long VerifiedBytes,
    int PiecesHave,
    int PieceCount,
    long Downloaded,
    long Uploaded,
    double DownloadRate,
    double UploadRate,
    int Peers,
    int Seeds,
    string? Error,
    string? TrackerError,
    long? WantedBytes = null,
    long? WantedVerifiedBytes = null,
    int PiecesLost = 0,
    string? Note = null);
