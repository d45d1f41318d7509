namespace SmartShare.Node.Transfers;

/// <summary>How much a user wants one file of a transfer (filled in by the transfer-control work; all normal today).</summary>
public enum FilePriority
{
    Off,
    Low,
    Normal,
    High,
}

/// <summary>One file of a transfer: a stream has one, a torrent n.</summary>
/// <param name="Path">The file's path inside the transfer, with '/' between folders.</param>
public sealed record TransferFile(int Index, string Path, long Length, long BytesHave, bool Wanted = true, FilePriority Priority = FilePriority.Normal);
