using SmartShare.Node.Transfers.Queueing;

namespace SmartShare.Node.Transfers;

/// <summary>
/// What a transfer's row in a list says (<see cref="TransferView.Row"/>, the web UI's live feed; the <c>status</c>
/// counts), as values: the networks read it without building the transfer's view (no files list, no records made per
/// transfer), and two rows compare whole, so the feed writes JSON only for the rows that changed. The web UI's feed read
/// every transfer's view and wrote its JSON each second: 5 MB/s of garbage with 6,000 transfers, nothing changing.
/// Each field is what the transfer's <see cref="Transfer"/> (and its <see cref="TransferProgress"/>) would say.
/// </summary>
/// <param name="EverCompleted">It completed once (<see cref="Transfer.CompletedAt"/> is set): the queue's "seed" wait.</param>
/// <param name="Queue">What the queue says about it; null where no queue runs (the network's own row).</param>
public readonly record struct TransferRow(
    TransferKey Key,
    string? Name,
    TransferDirection Direction,
    TransferState State,
    long BytesHave,
    long? BytesTotal,
    long BytesReceived,
    long? BytesSent,
    double DownloadRate,
    double UploadRate,
    int PeersConnected,
    int PeersKnown,
    long Uploaded,
    string? Error,
    bool Private,
    DateTimeOffset AddedAt,
    bool EverCompleted,
    RowScheduling? Queue = null)
{
    /// <summary>A transfer's row from its view (a network that has no cheaper way, and the view's own JSON).</summary>
    public static TransferRow Of(Transfer transfer)
    {
        ArgumentNullException.ThrowIfNull(transfer);
        var progress = transfer.Progress;
        return new TransferRow(
            transfer.Key,
            transfer.Name,
            transfer.Direction,
            transfer.State,
            progress.BytesHave,
            progress.BytesTotal,
            progress.BytesReceived,
            progress.BytesSent,
            progress.DownloadRate,
            progress.UploadRate,
            progress.PeersConnected,
            progress.PeersKnown,
            progress.Uploaded,
            transfer.Error,
            transfer.Private,
            transfer.AddedAt,
            transfer.CompletedAt is not null,
            transfer.Scheduling is { } scheduling ? RowScheduling.Of(scheduling) : null);
    }

    /// <summary>
    /// The transfer whose list row this is, with what a row does not hold: its files, folder, path, completion time and
    /// what its network built it from.
    /// </summary>
    internal Transfer ToTransfer(IReadOnlyList<TransferFile> files, string? downloadDirectory, string? path, DateTimeOffset? completedAt, object source) =>
        new(
            Key,
            Name,
            Direction,
            State,
            new TransferProgress(BytesHave, BytesTotal, BytesReceived, BytesSent, DownloadRate, UploadRate, PeersConnected, PeersKnown, Uploaded),
            files,
            downloadDirectory,
            path,
            Error,
            Private,
            AddedAt,
            completedAt)
        {
            Source = source,
        };

    /// <summary>Done as a fraction, as <see cref="TransferProgress.Fraction"/>.</summary>
    public double? Fraction => TransferProgress.FractionOf(BytesHave, BytesTotal);

    /// <summary>Uploaded bytes over the size, as <see cref="TransferProgress.Ratio"/>.</summary>
    public double? Ratio => TransferProgress.RatioOf(Uploaded, BytesTotal);

    /// <summary>Time left at the current rate, as <see cref="TransferProgress.Eta"/>.</summary>
    public TimeSpan? Eta => TransferProgress.EtaOf(BytesHave, BytesTotal, DownloadRate);
}

/// <summary>
/// What the queue says about a transfer in its row: <see cref="TransferScheduling"/> without the seeding clock (which
/// changes every second and is shown only in a transfer's full view).
/// </summary>
public readonly record struct RowScheduling(int QueuePosition, string? Waiting, SeedingGoals Goals, string? StopReason)
{
    public static RowScheduling Of(TransferScheduling scheduling)
    {
        ArgumentNullException.ThrowIfNull(scheduling);
        return new RowScheduling(scheduling.QueuePosition, scheduling.Waiting, scheduling.Goals, scheduling.StopReason);
    }
}
