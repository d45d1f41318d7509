using System.Text.Json.Nodes;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Downloads;
using SmartShare.Node.Downloads;
using SmartShare.Node.Streaming;
using SmartShare.Threading;

namespace SmartShare.Node.Transfers;

/// <summary>The LBRY side of the transfer model: streams downloaded and shared, from the file list and the running downloads.</summary>
internal sealed class StreamTransfers(DownloadManager downloads, SmartShare.Lbry.LbryStorage storage, UploadLedger uploads, TimeProvider time) : ITransferNetwork
{
    // What a stream that is not running holds (its data blobs in the store) and its size, from its descriptor: read
    // once, forgotten while a download runs for it (so a stop reads the store again).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<BlobHash, (long Have, long? Total)> _stored = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<BlobHash, (string Path, long Length)> _lengths = new();
    private readonly TransferKeys<BlobHash> _keys = new(TransferKey.Of);
    private Func<BlobHash, string, long?>? _completedLength;

    public TransferNetwork Network => TransferNetwork.Stream;

    public IReadOnlyList<Transfer> List() => [.. downloads.List().Select(record => ToTransfer(record, downloads.Active(record.SdHash)))];

    public void AddListings(List<TransferListing> listings)
    {
        ArgumentNullException.ThrowIfNull(listings);
        foreach (var record in downloads.List())
        {
            listings.Add(new TransferListing(_keys.Of(record.SdHash), record.AddedAt));
        }
    }

    // Without a size: a stream has no seeding goal (its blobs are served while it is listed).
    public void AddStatuses(List<TransferStatus> statuses)
    {
        ArgumentNullException.ThrowIfNull(statuses);
        foreach (var record in downloads.List())
        {
            var key = _keys.Of(record.SdHash);
            var active = downloads.Active(record.SdHash);
            statuses.Add(new TransferStatus(
                key, NameOf(record, active), DirectionOf(record), StateOf(record, active?.Download.Progress.State), record.AddedAt, record.CompletedAt is not null, uploads.Total(key), null));
        }
    }

    public void AddRows(List<TransferRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        foreach (var record in downloads.List())
        {
            rows.Add(Facts(record, downloads.Active(record.SdHash)).Row);
        }
    }

    public async Task<TransferAddResult> AddAsync(TransferRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var target = await DownloadTarget.ResolveAsync(request.Target, time, cancellationToken);
        if (request.PreferBitTorrent)
        {
            // The share's torrent form: from the creator's peers and DHT nodes, then anyone the DHT finds.
            var magnet = await target.MagnetAsync(time, cancellationToken)
                ?? throw new FormatException($"The share '{target.Name}' has no torrent form (no bittorrent object); get it without bittorrent to use LBRY.");
            return TransferAddResult.HandOnAs(magnet);
        }

        if (target.SdBlob is { } sdBlob)
        {
            downloads.ImportDescriptor(target.SdHash, sdBlob);
        }

        downloads.AddDhtContacts(target.DhtContacts);
        var listed = downloads.Find(target.SdHash) is not null;
        var active = downloads.Start(target.SdHash, request.DownloadDirectory, [.. request.Peers, .. target.Peers], target.Private);
        if (active is not null)
        {
            // Answer once under way: the descriptor is here (or the wait is over; the download goes on looking for peers).
            using var limit = new TimeLimit(request.MetadataWait, time, cancellationToken);
            try
            {
                await active.Download.WaitForDescriptorAsync(limit.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
        }

        return TransferAddResult.Of(TransferKey.Of(target.SdHash), created: !listed);
    }

    public Transfer? Find(TransferKey key) =>
        SdHash(key) is { } sdHash && downloads.Find(sdHash) is { } record ? ToTransfer(record, downloads.Active(sdHash)) : null;

    public JsonObject Describe(Transfer transfer, StreamLinks? links)
    {
        ArgumentNullException.ThrowIfNull(transfer);
        var (record, active) = transfer.Source as Snapshot
            ?? throw new ArgumentException($"{transfer.Key} was not made by the stream side.", nameof(transfer));
        var view = FileView.ToJson(record, active, links);
        view["type"] = "stream";
        if (active?.Finder is { } finder)
        {
            // What the download has tried so far, so a `get` of something nobody has can say so while it waits.
            view["search"] = new JsonObject
            {
                ["dht_lookups"] = finder.Lookups,
                ["peers_found"] = finder.PeersFound,
                ["descriptor_timeout_seconds"] = (long)(downloads.DownloadOptions?.DescriptorTimeout ?? new StreamDownloadOptions().DescriptorTimeout).TotalSeconds,
            };
        }

        return view;
    }

    public async Task<StreamSource> OpenStreamAsync(TransferKey key, int? fileIndex, bool mayStart, CancellationToken cancellationToken) =>
        await LbryStreamSource.OpenAsync(downloads, storage, SdHash(key) ?? throw new ArgumentException($"{key} is not an sd hash.", nameof(key)), fileIndex, mayStart, time, cancellationToken);

    public TransferPeers? Peers(TransferKey key)
    {
        if (SdHash(key) is not { } sdHash || downloads.Find(sdHash) is null)
        {
            return null;
        }

        // The blob server does not track who fetches a shared stream; a running download knows its peers, not their rates.
        return downloads.Active(sdHash) is { } active
            ? new TransferPeers(
                [.. active.Download.Peers.Select(peer => new TransferPeer(peer.EndPoint, null, peer.Connections > 0, null, null, null))],
                "Blob-exchange peers of the running download; the node does not measure their rates or what they hold.")
            : new TransferPeers([], "Only a running stream download has peers to list; the blob server does not track who fetches a shared stream.");
    }

    public async Task<bool> StopAsync(TransferKey key, CancellationToken cancellationToken) =>
        SdHash(key) is { } sdHash && await downloads.PauseAsync(sdHash, cancellationToken);

    public bool Start(TransferKey key) => SdHash(key) is { } sdHash && downloads.Resume(sdHash);

    public async Task<bool> RemoveAsync(TransferKey key, bool deleteData, CancellationToken cancellationToken)
    {
        if (SdHash(key) is not { } sdHash)
        {
            return false;
        }

        _stored.TryRemove(sdHash, out _);
        _lengths.TryRemove(sdHash, out _);
        _keys.Forget(sdHash);
        return await downloads.DeleteAsync(sdHash, deleteData, cancellationToken);
    }

    private Transfer ToTransfer(FileRecord record, ActiveDownload? active) => ToTransfer(record, active, Facts(record, active));

    private (TransferRow Row, string? Path) Facts(FileRecord record, ActiveDownload? active)
    {
        if (active is not null)
        {
            _stored.TryRemove(record.SdHash, out _);
        }

        var stored = active is null && record.Status != FileStatus.Completed ? Stored(record) : ((long Have, long? Total)?)null;
        return Facts(record, _keys.Of(record.SdHash), active, uploads, stored, _completedLength ??= CompletedLength);
    }

    // A complete stream's file keeps its size: stat it once, not on every listing (the web UI's feed lists every
    // transfer each second, and the stat was the largest cost of a 5,000-transfer list).
    private long? CompletedLength(BlobHash sdHash, string path)
    {
        if (_lengths.TryGetValue(sdHash, out var known) && known.Path == path)
        {
            return known.Length;
        }

        var file = new FileInfo(path);
        if (!file.Exists)
        {
            return null;
        }

        _lengths[sdHash] = (path, file.Length);
        return file.Length;
    }

    /// <summary>
    /// The encrypted bytes of the stream's data blobs in the store or in the partial file a stopped download keeps (its
    /// whole blobs, by its length: they are checked when it resumes), and their total, from its descriptor (0 and
    /// unknown without one).
    /// </summary>
    private (long Have, long? Total) Stored(FileRecord record) => _stored.GetOrAdd(record.SdHash, hash =>
    {
        try
        {
            var descriptor = new SmartShare.Lbry.Streams.StreamDecryptor(storage).ReadDescriptor(hash);
            var inPartial = PartialBlobs(record, descriptor);
            long have = 0, total = 0;
            foreach (var blob in descriptor.DataBlobs)
            {
                total += blob.Length;
                if (blob.BlobNum < inPartial || (blob.BlobHash is { } blobHash && storage.Blobs.TryGetLength(blobHash) == blob.Length))
                {
                    have += blob.Length;
                }
            }

            return (have, total);
        }
        catch (Exception ex) when (ex is SmartShare.Lbry.LbryDataException or IOException or UnauthorizedAccessException)
        {
            return (0, null);
        }
    });

    private static int PartialBlobs(FileRecord record, SmartShare.Lbry.Streams.StreamDescriptor descriptor)
    {
        if (record.DownloadDirectory is not { } directory || !SmartShare.Lbry.Downloads.PartialFileCheck.HasStandardLayout(descriptor))
        {
            return 0;
        }

        var partial = new FileInfo(SmartShare.Lbry.Streams.StreamOutputFile.PartialPathFor(
            directory, descriptor.SuggestedFileName, SmartShare.Lbry.Downloads.StreamDownload.PartialTagOf(record.SdHash)));
        return partial.Exists ? (int)Math.Min(descriptor.DataBlobCount - 1, partial.Length / SmartShare.Lbry.Streams.StreamEncryptor.PlaintextPerBlob) : 0;
    }

    internal static Transfer ToTransfer(
        FileRecord record, TransferKey key, ActiveDownload? active, UploadLedger uploads, (long Have, long? Total)? stored = null, Func<BlobHash, string, long?>? completedLength = null) =>
        ToTransfer(record, active, Facts(record, key, active, uploads, stored, completedLength));

    private static Transfer ToTransfer(FileRecord record, ActiveDownload? active, (TransferRow Row, string? Path) facts)
    {
        var (row, path) = facts;
        var fileName = path is null ? row.Name : System.IO.Path.GetFileName(path);
        IReadOnlyList<TransferFile> files = fileName is null ? [] : [new TransferFile(0, fileName, row.BytesTotal ?? 0, row.BytesHave)];
        return row.ToTransfer(files, record.DownloadDirectory, path, record.CompletedAt, new Snapshot(record, active));
    }

    // The stream's row and where its file is: what its view says, read without building it.
    private static (TransferRow Row, string? Path) Facts(
        FileRecord record, TransferKey key, ActiveDownload? active, UploadLedger uploads, (long Have, long? Total)? stored, Func<BlobHash, string, long?>? completedLength)
    {
        var progress = active?.Download.Progress;
        var path = active?.Download.OutputPath ?? record.Path;
        // While it runs a download counts blob bytes (padding included); once the file is written its size is the truth.
        var finished = record.Status == FileStatus.Completed || progress?.State == StreamDownloadState.Completed;
        var completedSize = finished && path is not null
            ? completedLength is null ? (new FileInfo(path) is { Exists: true } file ? file.Length : null) : completedLength(record.SdHash, path)
            : null;
        var total = completedSize ?? (progress is { BytesTotal: > 0 } ? progress.BytesTotal : stored?.Total);
        var have = completedSize ?? progress?.BytesHave ?? stored?.Have ?? 0;
        var row = new TransferRow(
            key,
            NameOf(record, active),
            DirectionOf(record),
            StateOf(record, progress?.State),
            have,
            total,
            progress?.BytesReceived ?? 0,
            null,
            active?.BytesPerSecond ?? 0,
            0,
            progress?.PeersActive ?? 0,
            progress?.PeersKnown ?? 0,
            uploads.Total(key),
            FileView.ErrorOf(progress, record),
            record.Private,
            record.AddedAt,
            record.CompletedAt is not null);
        return (row, path);
    }

    private static string? NameOf(FileRecord record, ActiveDownload? active) => active?.Download.Descriptor?.StreamName ?? record.StreamName;

    private static TransferDirection DirectionOf(FileRecord record) => record.Kind == FileKind.Share ? TransferDirection.Share : TransferDirection.Download;

    /// <summary>The transfer's state from its record and, while a download runs for it, that download's state.</summary>
    private static TransferState StateOf(FileRecord record, StreamDownloadState? running) => running switch
    {
        StreamDownloadState.Queued => TransferState.Queued,
        StreamDownloadState.FetchingDescriptor => TransferState.FetchingMetadata,
        StreamDownloadState.Downloading => TransferState.Downloading,

        // Every local stream's blobs are served to peers: a complete one seeds.
        StreamDownloadState.Completed => TransferState.Seeding,
        StreamDownloadState.Failed or StreamDownloadState.Stopped when record.Status == FileStatus.Downloading => TransferState.Downloading,
        _ => record.Status switch
        {
            FileStatus.Completed => TransferState.Seeding,
            FileStatus.Failed => TransferState.Failed,
            FileStatus.Stopped => TransferState.Stopped,
            _ => TransferState.Queued,
        },
    };

    private static BlobHash? SdHash(TransferKey key) =>
        key.Network == TransferNetwork.Stream && BlobHash.TryParse(key.Hash, out var sdHash) ? sdHash : null;

    private sealed record Snapshot(FileRecord Record, ActiveDownload? Active);
}
