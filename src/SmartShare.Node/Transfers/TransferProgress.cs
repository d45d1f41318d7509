namespace SmartShare.Node.Transfers;

/// <summary>A snapshot of a transfer's progress, the same fields for both networks.</summary>
/// <param name="BytesHave">Verified bytes of the content held.</param>
/// <param name="BytesTotal">The content's size, or null while unknown (metadata not there yet).</param>
/// <param name="BytesReceived">Payload bytes received from peers since the node started.</param>
/// <param name="BytesSent">Payload bytes sent to peers since the node started (null where not counted).</param>
/// <param name="Uploaded">Payload bytes sent to peers over every run of the node (kept in the transfers table).</param>
public sealed record TransferProgress(
    long BytesHave,
    long? BytesTotal,
    long BytesReceived,
    long? BytesSent,
    double DownloadRate,
    double UploadRate,
    int PeersConnected,
    int PeersKnown,
    long Uploaded = 0)
{
    public static TransferProgress None { get; } = new(0, null, 0, null, 0, 0, 0, 0);

    /// <summary>Done as a fraction from 0 to 1, or null while the size is unknown.</summary>
    public double? Fraction => FractionOf(BytesHave, BytesTotal);

    /// <summary>Uploaded bytes over the content's size (how many copies were given away), or null while the size is unknown or 0.</summary>
    public double? Ratio => RatioOf(Uploaded, BytesTotal);

    /// <summary>Time left at the current rate, or null when nothing is coming in or the size is unknown.</summary>
    public TimeSpan? Eta => EtaOf(BytesHave, BytesTotal, DownloadRate);

    internal static double? FractionOf(long have, long? total) =>
        total is > 0 and var size ? Math.Min(1.0, (double)have / size) : total == 0 ? 1.0 : null;

    internal static double? RatioOf(long uploaded, long? total) => total is > 0 and var size ? (double)uploaded / size : null;

    internal static TimeSpan? EtaOf(long have, long? total, double downloadRate) =>
        total is { } size && downloadRate >= 1 && size > have
            ? TimeSpan.FromSeconds(Math.Ceiling((size - have) / downloadRate))
            : null;
}
