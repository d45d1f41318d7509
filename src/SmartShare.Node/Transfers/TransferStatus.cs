namespace SmartShare.Node.Transfers;

/// <summary>
/// What the queue decides from, read without building the transfer's view (no files, no progress snapshot, no
/// paths): its round reads every transfer every 2 s, and building 6,000 full views each time was most of an idle
/// node's CPU. Each field is what the transfer's <see cref="Transfer"/> would say.
/// </summary>
/// <param name="Name">For the queue's log lines.</param>
/// <param name="State">The network's own state (no queue overlay), as <see cref="Transfer.State"/>.</param>
/// <param name="EverCompleted">It completed once (<see cref="Transfer.CompletedAt"/> is set): resuming it seeds.</param>
/// <param name="Uploaded">Bytes sent over every run (<see cref="TransferProgress.Uploaded"/>).</param>
/// <param name="Size">
/// What its ratio divides by (<see cref="TransferProgress.BytesTotal"/>: a torrent's wanted pieces). A network may
/// leave it null where no seeding goal is checked: a transfer that does not seed.
/// </param>
public readonly record struct TransferStatus(
    TransferKey Key,
    string? Name,
    TransferDirection Direction,
    TransferState State,
    DateTimeOffset AddedAt,
    bool EverCompleted,
    long Uploaded,
    long? Size)
{
    /// <summary>Uploaded bytes over the size, as <see cref="TransferProgress.Ratio"/>; null while the size is unknown or 0.</summary>
    public double? Ratio => Size is > 0 and var size ? (double)Uploaded / size : null;

    /// <summary>A transfer's status from its full view (a network that has no cheaper way).</summary>
    public static TransferStatus Of(Transfer transfer)
    {
        ArgumentNullException.ThrowIfNull(transfer);
        return new TransferStatus(
            transfer.Key, transfer.Name, transfer.Direction, transfer.State, transfer.AddedAt, transfer.CompletedAt is not null, transfer.Progress.Uploaded, transfer.Progress.BytesTotal);
    }

    /// <summary>The order of <see cref="TransferManager.List"/>: oldest first, then by hash.</summary>
    public static int CompareByAdded(TransferStatus a, TransferStatus b) =>
        TransferListing.CompareByAdded(new TransferListing(a.Key, a.AddedAt), new TransferListing(b.Key, b.AddedAt));
}
