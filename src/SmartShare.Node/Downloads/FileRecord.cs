using System.Net;
using SmartShare.Lbry.Blobs;

namespace SmartShare.Node.Downloads;

/// <summary>
/// One entry of the node's file list: a stream it downloads or downloaded, or one it shared. A private one is
/// never announced to the DHT: only holders of its .smartshare file reach it, through the contacts in it.
/// </summary>
public sealed record FileRecord(
    BlobHash SdHash,
    FileKind Kind,
    FileStatus Status,
    string? DownloadDirectory,
    string? Path,
    string? StreamName,
    string? Error,
    IReadOnlyList<IPEndPoint> Peers,
    DateTimeOffset AddedAt,
    DateTimeOffset? CompletedAt,
    bool Private = false);

/// <summary>Whether the node fetched a file or created its stream.</summary>
public enum FileKind
{
    Download,
    Share,
}

/// <summary>Where a file entry stands; a node restarted finds <see cref="Downloading"/> entries and resumes them.</summary>
public enum FileStatus
{
    Downloading,
    Completed,
    Failed,
    Stopped,
}
