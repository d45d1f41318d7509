namespace SmartShare.Node.Transfers;

/// <summary>Where a transfer stands, the same set for a stream and a torrent.</summary>
public enum TransferState
{
    /// <summary>Listed, waiting to run.</summary>
    Queued,

    /// <summary>Re-checking data recorded by an earlier run.</summary>
    Checking,

    /// <summary>Getting what describes the content: a stream's descriptor, a magnet's info dictionary.</summary>
    FetchingMetadata,

    Downloading,

    /// <summary>Complete, and serving it to peers.</summary>
    Seeding,

    /// <summary>Complete, not serving.</summary>
    Completed,

    /// <summary>Stopped on request or by a restart before completion; resumes when asked.</summary>
    Stopped,

    /// <summary>Stopped by a problem (see the error).</summary>
    Failed,
}
