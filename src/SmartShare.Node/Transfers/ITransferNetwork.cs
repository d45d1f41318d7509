using System.Text.Json.Nodes;
using SmartShare.Node.Streaming;

namespace SmartShare.Node.Transfers;

/// <summary>
/// One network's side of the transfer model: it lists and finds its transfers in the common shape, removes them,
/// and adds what only it shows (blob counts, pieces, trackers) to a transfer's JSON.
/// </summary>
public interface ITransferNetwork
{
    TransferNetwork Network { get; }

    IReadOnlyList<Transfer> List();

    /// <summary>
    /// Adds every transfer's key and when it was added to <paramref name="listings"/>, in no order, without building the
    /// transfers: a page of a long list builds only its own (see <see cref="TransferManager.Page"/>).
    /// </summary>
    void AddListings(List<TransferListing> listings) => listings.AddRange(List().Select(transfer => new TransferListing(transfer.Key, transfer.AddedAt)));

    /// <summary>
    /// Adds every transfer's <see cref="TransferStatus"/> to <paramref name="statuses"/>, in no order: what the queue's
    /// round reads every 2 s, so a network gives it without building the transfers' views, into a list the round keeps.
    /// </summary>
    void AddStatuses(List<TransferStatus> statuses) => statuses.AddRange(List().Select(TransferStatus.Of));

    /// <summary>
    /// Adds every transfer's <see cref="TransferRow"/> (without the queue's part) to <paramref name="rows"/>, in no
    /// order: what the web UI's feed and the <c>status</c> counts read every second, so a network gives it without
    /// building the transfers' views, into a list the reader keeps.
    /// </summary>
    void AddRows(List<TransferRow> rows) => rows.AddRange(List().Select(TransferRow.Of));

    /// <summary>Adds (or finds running) the transfer a <c>get</c> names, when this network reads its target.</summary>
    /// <exception cref="FormatException">The target is this network's kind but unusable (a sentence says why).</exception>
    Task<TransferAddResult> AddAsync(TransferRequest request, CancellationToken cancellationToken);

    Transfer? Find(TransferKey key);

    /// <summary>The network's own view of the transfer (field names as lbrynet has them where they exist).</summary>
    JsonObject Describe(Transfer transfer, StreamLinks? links);

    /// <summary>
    /// Opens a file of the transfer for <c>/stream</c> (the only file of a stream; <paramref name="fileIndex"/> of a
    /// torrent's); a missing download is started unless <paramref name="mayStart"/> is false.
    /// </summary>
    /// <exception cref="StreamUnavailableException">It cannot be streamed now: the HTTP status and a sentence.</exception>
    Task<StreamSource> OpenStreamAsync(TransferKey key, int? fileIndex, bool mayStart, CancellationToken cancellationToken);

    /// <summary>The peers of the transfer while it runs (an empty list with a note when it does not); null when there is no such transfer.</summary>
    TransferPeers? Peers(TransferKey key);

    /// <summary>Stops a transfer and keeps it listed as stopped, with what it has; false when there is no such transfer.</summary>
    /// <exception cref="InvalidOperationException">This transfer cannot be paused (a sentence says why).</exception>
    Task<bool> StopAsync(TransferKey key, CancellationToken cancellationToken);

    /// <summary>Starts a stopped or failed transfer again; false when there is no such transfer.</summary>
    /// <exception cref="InvalidOperationException">This transfer cannot be resumed (a sentence says why).</exception>
    bool Start(TransferKey key);

    /// <summary>Stops a transfer and removes it from the list; with <paramref name="deleteData"/> its downloaded files go too.</summary>
    /// <returns>False when there was no such transfer.</returns>
    Task<bool> RemoveAsync(TransferKey key, bool deleteData, CancellationToken cancellationToken);
}

/// <summary>A transfer's place in the list: its key and when it was added.</summary>
public readonly record struct TransferListing(TransferKey Key, DateTimeOffset AddedAt)
{
    /// <summary>The order of <see cref="TransferManager.List"/>: oldest first, then by hash.</summary>
    public static int CompareByAdded(TransferListing a, TransferListing b)
    {
        var added = a.AddedAt.CompareTo(b.AddedAt);
        return added != 0 ? added : string.CompareOrdinal(a.Key.Hash, b.Key.Hash);
    }
}
