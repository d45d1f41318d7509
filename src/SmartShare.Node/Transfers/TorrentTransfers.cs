using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using SmartShare.BitTorrent;
using SmartShare.BitTorrent.Engine;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.Node.Downloads;
using SmartShare.Node.Streaming;
using SmartShare.Node.Torrents;

namespace SmartShare.Node.Transfers;

/// <summary>The BitTorrent side of the transfer model: torrents from the torrent list and their running sessions.</summary>
internal sealed class TorrentTransfers(TorrentManager torrents, UploadLedger uploads, TimeProvider time) : ITransferNetwork
{
    // A torrent's files never change: read once from its stored metainfo for torrents that run no session.
    // What a torrent without a session holds, from its stored metainfo and resume record: read once, forgotten when a
    // session shows the torrent again (so the next pause reads the record the session left).
    private readonly ConcurrentDictionary<InfoHash, (bool Complete, bool Private, List<TransferFile> Files)> _stored = new();
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<TorrentSession, SessionFileList> _sessionFiles = new();
    private readonly TransferKeys<InfoHash> _keys = new(TransferKey.Of);

    /// <summary>How long <c>/stream</c> of a magnet waits for its metadata before it answers 504.</summary>
    internal static TimeSpan MetadataWait { get; } = TimeSpan.FromSeconds(30);

    public TransferNetwork Network => TransferNetwork.Torrent;

    public IReadOnlyList<Transfer> List() => [.. torrents.List().Select(record => ToTransfer(record, torrents.Session(record.InfoHash)))];

    public void AddListings(List<TransferListing> listings)
    {
        ArgumentNullException.ThrowIfNull(listings);
        foreach (var record in torrents.List())
        {
            listings.Add(new TransferListing(_keys.Of(record.InfoHash), record.AddedAt));
        }
    }

    public void AddStatuses(List<TransferStatus> statuses)
    {
        ArgumentNullException.ThrowIfNull(statuses);
        foreach (var record in torrents.List())
        {
            var key = _keys.Of(record.InfoHash);
            var session = torrents.Session(record.InfoHash);
            var state = StateOf(record, session?.State, session?.Error);
            long? size = null;
            if (session is not null)
            {
                // The look at the upload counter a view takes, so the ratio and idle goals see what was sent.
                uploads.Observe(key, session, session.Uploaded);
                size = record.AwaitingMetadata ? null : WantedBytes(session);
            }

            statuses.Add(new TransferStatus(
                key, record.Name, DirectionOf(record), state, record.AddedAt, record.CompletedAt is not null, uploads.Total(key), size));
        }
    }

    public void AddRows(List<TransferRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        foreach (var record in torrents.List())
        {
            rows.Add(Facts(record, torrents.Session(record.InfoHash)).Row);
        }
    }

    public async Task<TransferAddResult> AddAsync(TransferRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (TorrentSource.IsMagnet(request.Target))
        {
            var infoHash = MagnetLink.Parse(request.Target).InfoHash;
            if (request.Files is { IsEmpty: false } files)
            {
                // Kept as asked until the metadata says how many files there are (or applied now when it is known).
                await torrents.SelectFilesAsync(infoHash, files, cancellationToken);
            }

            var known = torrents.Find(infoHash) is not null;
            var record = torrents.AddMagnet(request.Target, request.DownloadDirectory, request.Peers);
            return TransferAddResult.Of(TransferKey.Of(record.InfoHash), created: !known);
        }

        if (!TorrentSource.IsTorrent(request.Target))
        {
            return TransferAddResult.NotMine;
        }

        var metainfo = await TorrentSource.ReadAsync(request.Target, torrents.Http, time, cancellationToken);
        var parsed = TorrentParser.Parse(metainfo);
        var listed = torrents.Find(parsed.InfoHash) is not null;
        if (request.Files is { IsEmpty: false } selection)
        {
            // Checked against the torrent's files and stored before its session starts, which then starts with it.
            await torrents.SelectFilesAsync(parsed.InfoHash, selection, cancellationToken, parsed.Info);
        }

        var session = torrents.Add(parsed, metainfo, request.DownloadDirectory, request.Peers);
        return TransferAddResult.Of(TransferKey.Of(session.InfoHash), created: !listed);
    }

    public Transfer? Find(TransferKey key) =>
        InfoHashOf(key) is { } hash && torrents.Find(hash) is { } record ? ToTransfer(record, torrents.Session(hash)) : null;

    public JsonObject Describe(Transfer transfer, StreamLinks? links)
    {
        ArgumentNullException.ThrowIfNull(transfer);
        var (record, session) = transfer.Source as Snapshot
            ?? throw new ArgumentException($"{transfer.Key} was not made by the torrent side.", nameof(transfer));
        var view = TorrentView.ToJson(record, session, links);
        if (!record.AwaitingMetadata)
        {
            var selection = session?.Selection ?? (transfer.Files.Count > 0 ? torrents.Selection(record.InfoHash, transfer.Files.Count) : null);
            TorrentSelectionView.Describe(view, transfer, selection, record.TotalLength);
        }

        if (record.AwaitingMetadata && torrents.MetadataSearch(record.InfoHash) is var (progress, lookups))
        {
            // What the magnet's fetch has tried so far, so a `get` of a magnet nobody serves can say so while it waits.
            view["search"] = new JsonObject
            {
                ["dht_lookups"] = lookups,
                ["peers_found"] = progress.PeersKnown,
                ["peers_connected"] = progress.PeersConnected,
                ["metadata_size"] = progress.Size,
                ["metadata_pieces_have"] = progress.PiecesHave,
                ["metadata_pieces_total"] = progress.PiecesTotal,
            };
        }

        return view;
    }

    public async Task<StreamSource> OpenStreamAsync(TransferKey key, int? fileIndex, bool mayStart, CancellationToken cancellationToken)
    {
        var hash = InfoHashOf(key) ?? throw new ArgumentException($"{key} is not an info hash.", nameof(key));
        if (torrents.Session(hash) is null && torrents.Find(hash) is { AwaitingMetadata: true, Status: FileStatus.Downloading })
        {
            // A magnet played at once: its files are known only once the metadata came. The player's request waits for
            // it (as long as a player waits for a first byte), rather than being told to come back.
            using var limit = new CancellationTokenSource(MetadataWait, time);
            using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, limit.Token);
            try
            {
                await torrents.WaitForSessionAsync(hash, either.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                var record = torrents.Find(hash);
                throw new StreamUnavailableException(
                    record is null ? 404 : 504,
                    record is null
                        ? $"The torrent {hash} was removed while its metadata was awaited."
                        : $"The metadata of {hash} did not arrive within {MetadataWait.TotalSeconds:0} s (no peer sent it yet); the node keeps looking: ask again later.");
            }
        }

        return TorrentStreamSource.Open(torrents, hash, fileIndex, time);
    }

    public TransferPeers? Peers(TransferKey key)
    {
        if (InfoHashOf(key) is not { } hash || torrents.Find(hash) is null)
        {
            return null;
        }

        return torrents.Session(hash) is { } session
            ? new TransferPeers([.. session.PeerDetails.Select(peer => new TransferPeer(peer.EndPoint, peer.Client, true, peer.DownloadRate, peer.UploadRate, peer.Progress, peer.Transport))], null)
            : new TransferPeers([], "The torrent is not running (stopped, failed, or still fetching its metadata), so it has no connected peers.");
    }

    public async Task<bool> StopAsync(TransferKey key, CancellationToken cancellationToken)
    {
        // A last look at the session's upload counter before it ends, so what it sent since the last look is counted.
        _ = Find(key);
        return InfoHashOf(key) is { } hash && await torrents.PauseAsync(hash);
    }

    public bool Start(TransferKey key) => InfoHashOf(key) is { } hash && torrents.Resume(hash);

    public async Task<bool> RemoveAsync(TransferKey key, bool deleteData, CancellationToken cancellationToken)
    {
        if (InfoHashOf(key) is not { } hash)
        {
            return false;
        }

        _stored.TryRemove(hash, out _);
        _keys.Forget(hash);
        return await torrents.DeleteAsync(hash, deleteData);
    }

    internal Transfer ToTransfer(TorrentRecord record, TorrentSession? session)
    {
        var (row, files) = Facts(record, session);
        return row.ToTransfer(
            files,
            record.DownloadDirectory,
            record.AwaitingMetadata ? null : Path.Combine(record.DownloadDirectory, record.RootName),
            record.CompletedAt,
            new Snapshot(record, session));
    }

    // The torrent's row and its files: what its view says, read without building it.
    private (TransferRow Row, List<TransferFile> Files) Facts(TorrentRecord record, TorrentSession? session)
    {
        var progress = session?.Progress;
        var key = _keys.Of(record.InfoHash);
        if (session is not null && progress is not null)
        {
            uploads.Observe(key, session, progress.Uploaded);
        }

        var complete = record.Status == FileStatus.Completed;
        var state = StateOf(record, progress?.State, progress?.Error);
        long? total = record.AwaitingMetadata ? null : record.TotalLength;
        if (session is not null)
        {
            _stored.TryRemove(record.InfoHash, out _);
        }

        // Without a session: a torrent that completed (and was paused since) holds everything; a paused download
        // holds what its resume record says.
        var stored = session is null && !record.AwaitingMetadata ? StoredFiles(record, complete || record.CompletedAt is not null) : default;
        var storedFiles = stored.Files;
        List<TransferFile> files;
        FileSelection? selection;
        if (storedFiles is null && session is not null)
        {
            selection = session.Selection;
            files = SessionFiles(session, progress, complete, selection);
        }
        else
        {
            files = storedFiles ?? [];
            selection = files.Count > 0 ? torrents.Selection(record.InfoHash, files.Count) : null;
            files = TorrentSelectionView.Mark(files, selection);
        }

        // Progress and ETA count what the user wants (Transmission's sizeWhenDone); total_length stays the torrent's size.
        var have = progress?.WantedVerifiedBytes ?? progress?.VerifiedBytes ?? TorrentSelectionView.WantedHave(files, storedFiles is not null);
        if (record.AwaitingMetadata)
        {
            total = null;
        }
        else if (progress?.WantedBytes is { } wanted)
        {
            total = wanted;
        }
        else if (selection is { WantsAll: false })
        {
            total = files.Where(file => file.Wanted).Sum(file => file.Length);
        }

        var row = new TransferRow(
            key,
            record.Name,
            DirectionOf(record),
            state,
            have,
            total,
            progress?.Downloaded ?? 0,
            progress?.Uploaded ?? 0,
            progress?.DownloadRate ?? 0,
            progress?.UploadRate ?? 0,
            progress?.Peers ?? 0,
            progress?.Peers ?? 0,
            uploads.Total(key),
            progress?.Error ?? record.Error,
            session?.IsPrivate ?? stored.Private,
            record.AddedAt,
            record.CompletedAt is not null);
        return (row, files);
    }

    /// <summary>The transfer's state from its record and, while it runs, its session's state and error.</summary>
    private static TransferState StateOf(TorrentRecord record, TorrentState? running, string? error) => running switch
    {
        null when record.AwaitingMetadata && record.Status == FileStatus.Downloading => TransferState.FetchingMetadata,
        TorrentState.Checking => TransferState.Checking,
        TorrentState.Downloading => TransferState.Downloading,
        TorrentState.Seeding => TransferState.Seeding,
        TorrentState.Stopped when error is not null => TransferState.Failed,
        _ => record.Status switch
        {
            FileStatus.Completed => TransferState.Completed,
            FileStatus.Failed => TransferState.Failed,
            FileStatus.Stopped => TransferState.Stopped,
            _ => TransferState.Stopped,
        },
    };

    private static TransferDirection DirectionOf(TorrentRecord record) => record.Kind == FileKind.Share ? TransferDirection.Share : TransferDirection.Download;

    // What a running torrent's progress counts as its size (the pieces of its wanted files): the whole torrent when
    // every file is wanted, without the progress snapshot's pass over every piece.
    private static long WantedBytes(TorrentSession session) =>
        session.Selection.WantsAll ? session.Torrent.Info.TotalLength : session.Progress.WantedBytes ?? session.Torrent.Info.TotalLength;

    /// <summary>
    /// A running torrent's files, rebuilt only when what they show changed (a piece verified or lost, the selection,
    /// completion): a progress poll of a torrent of 100,000 files would otherwise build 100,000 records each time.
    /// </summary>
    private List<TransferFile> SessionFiles(TorrentSession session, TorrentProgress? progress, bool complete, FileSelection selection)
    {
        var version = (progress?.PiecesHave ?? -1, progress?.VerifiedBytes ?? -1, complete);
        if (_sessionFiles.TryGetValue(session, out var cached) && cached.Version == version && ReferenceEquals(cached.Selection, selection))
        {
            return cached.Files;
        }

        var files = TorrentSelectionView.Mark(Files(session.Torrent.Info, complete, session.HasRange), selection);
        _sessionFiles.AddOrUpdate(session, new SessionFileList(version, selection, files));
        return files;
    }

    /// <summary>A torrent with no session: its files from the stored metainfo, all held when it completed, else as its resume record says.</summary>
    private (bool Private, List<TransferFile>? Files) StoredFiles(TorrentRecord record, bool complete)
    {
        if (_stored.TryGetValue(record.InfoHash, out var cached) && cached.Complete == complete)
        {
            return (cached.Private, cached.Files);
        }

        List<TransferFile> files;
        var isPrivate = false;
        try
        {
            if (torrents.StoredTorrent(record.InfoHash) is { } torrent)
            {
                var info = torrent.Info;
                isPrivate = info.IsPrivate;
                // Completed with some files unwanted holds only what its resume record says.
                complete = complete && torrents.Selection(record.InfoHash, info.Files.Count) is not { WantsAll: false };
                var pieces = complete ? null : torrents.StoredPieces(record.InfoHash, info.PieceCount);
                files = Files(info, complete, (start, _) => pieces is not null && pieces[(int)(start / info.PieceLength)]);
            }
            else
            {
                files = [];
            }
        }
        catch (FormatException)
        {
            files = [];
        }

        _stored[record.InfoHash] = (complete, isPrivate, files);
        return (isPrivate, files);
    }

    /// <summary>Each file with the verified bytes of the pieces under it (one pass over the pieces).</summary>
    private static List<TransferFile> Files(TorrentInfo info, bool complete, Func<long, long, bool> hasRange)
    {
        var files = info.Files;
        var have = new long[files.Count];
        var fileIndex = 0;
        for (var piece = 0; piece < info.PieceCount && fileIndex < files.Count; piece++)
        {
            var start = (long)piece * info.PieceLength;
            var end = start + info.GetPieceSize(piece);
            var verified = complete || hasRange(start, end - start);
            while (fileIndex < files.Count && files[fileIndex].Offset + files[fileIndex].Length <= start)
            {
                fileIndex++;
            }

            for (var i = fileIndex; verified && i < files.Count && files[i].Offset < end; i++)
            {
                var overlap = Math.Min(end, files[i].Offset + files[i].Length) - Math.Max(start, files[i].Offset);
                have[i] += Math.Max(0, overlap);
            }
        }

        var paths = JoinedPaths.GetValue(info, JoinPaths);
        var list = new List<TransferFile>(files.Count);
        for (var i = 0; i < files.Count; i++)
        {
            list.Add(new TransferFile(i, paths[i], files[i].Length, have[i]));
        }

        return list;
    }

    // Each view of a torrent lists its files by path; joined once per torrent, not once per file per view.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<TorrentInfo, string[]> JoinedPaths = new();

    private static string[] JoinPaths(TorrentInfo info) => [.. info.Files.Select(file => string.Join('/', file.Path))];

    private static InfoHash? InfoHashOf(TransferKey key) =>
        key.Network == TransferNetwork.Torrent && InfoHash.TryParse(key.Hash, out var hash) ? hash : null;

    private sealed record Snapshot(TorrentRecord Record, TorrentSession? Session);

    private sealed record SessionFileList((int PiecesHave, long VerifiedBytes, bool Complete) Version, FileSelection Selection, List<TransferFile> Files);
}
