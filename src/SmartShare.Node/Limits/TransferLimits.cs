namespace SmartShare.Node.Limits;

/// <summary>One transfer's own speed limits in KiB/s; null for none (the node's limits still apply).</summary>
public sealed record TransferLimits(int? DownloadKibPerSecond, int? UploadKibPerSecond)
{
    public static TransferLimits None { get; } = new(null, null);

    public bool IsEmpty => DownloadKibPerSecond is null && UploadKibPerSecond is null;
}
