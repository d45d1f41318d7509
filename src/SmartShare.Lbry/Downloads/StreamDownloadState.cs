namespace SmartShare.Lbry.Downloads;

/// <summary>Where a stream download stands.</summary>
public enum StreamDownloadState
{
    /// <summary>Created, not running.</summary>
    Queued,

    /// <summary>Getting the descriptor (sd blob).</summary>
    FetchingDescriptor,

    /// <summary>Getting data blobs and writing the file.</summary>
    Downloading,

    /// <summary>Every blob verified and the file written under its final name.</summary>
    Completed,

    /// <summary>Stopped by an error; <see cref="StreamDownloadProgress.Error"/> says why.</summary>
    Failed,

    /// <summary>Stopped on request; the blobs fetched so far stay for a resume.</summary>
    Stopped,
}
