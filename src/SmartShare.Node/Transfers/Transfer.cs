namespace SmartShare.Node.Transfers;

/// <summary>Whether the node fetches the content or created it.</summary>
public enum TransferDirection
{
    Download,
    Share,
}

/// <summary>
/// One transfer of the node, a stream or a torrent, as the API, the CLI and (next) the web UI see it: the same
/// fields whichever network carries it.
/// </summary>
/// <param name="Path">Where its content is (or will be) on disk, or null while unknown.</param>
public sealed record Transfer(
    TransferKey Key,
    string? Name,
    TransferDirection Direction,
    TransferState State,
    TransferProgress Progress,
    IReadOnlyList<TransferFile> Files,
    string? DownloadDirectory,
    string? Path,
    string? Error,
    bool Private,
    DateTimeOffset AddedAt,
    DateTimeOffset? CompletedAt)
{
    /// <summary>What its network built it from (record and running state), so describing it reads nothing again.</summary>
    internal object? Source { get; init; }

    /// <summary>What the queue says about it (position, waiting, seeding goals, stop reason); null where no queue runs.</summary>
    public Queueing.TransferScheduling? Scheduling { get; init; }
}
