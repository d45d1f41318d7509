using System.Text.Json;
using System.Text.Json.Nodes;
using SmartShare.BitTorrent.Storage;
using SmartShare.Lbry;
using SmartShare.Node.Hosting;
using SmartShare.Node.Settings;
using SmartShare.Node.Torrents;
using SmartShare.Node.Transfers;
using SmartShare.Storage;

namespace SmartShare.Node.Remote;

/// <summary>
/// The <c>torrent-*</c> methods of Transmission's RPC over the transfer model: every transfer (streams too) is a
/// "torrent" with a numeric id from <see cref="TransmissionIds"/>.
/// </summary>
internal sealed class TransmissionTorrents(
    TransferManager transfers,
    TorrentManager? torrents,
    NodeSettingsStore settings,
    NodeRuntime runtime,
    TransmissionIds ids,
    TimeProvider time,
    Limits.BandwidthLimits? limits = null)
{
    /// <summary>How long torrent-add waits for a stream's descriptor before answering (the download goes on after).</summary>
    private static readonly TimeSpan AddWait = TimeSpan.FromSeconds(2);

    private const int MaxFilenameLength = 64 * 1024;

    // torrent-set keys the node cannot honour: refused with a sentence rather than accepted and silently dropped.
    private static readonly string[] TrackerKeys = ["trackerAdd", "trackerRemove", "trackerReplace", "trackerList"];

    /// <summary>The transfers <c>ids</c> names (all when absent; unknown ids are skipped, as Transmission does), and whether it was "recently-active".</summary>
    public (List<(int Id, Transfer Transfer)> Selected, bool RecentlyActive) Select(TransmissionArguments arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var wanted = ReadIds(arguments);
        var all = ids.Sync(transfers.List());
        return wanted switch
        {
            null => ([.. all], false),
            { RecentlyActive: true } => ([.. all.Where(entry => ids.IsRecentlyActive(entry.Transfer))], true),
            _ => ([.. all.Where(entry => wanted.Ids.Contains(entry.Id) || wanted.Keys.Contains(entry.Transfer.Key))], false),
        };
    }

    /// <summary>What <c>ids</c> names: null when absent (every transfer); else the ids and hashes listed, or "recently-active".</summary>
    /// <exception cref="TransmissionFailure">An entry is neither a torrent id nor a hash string.</exception>
    public static IdSelection? ReadIds(TransmissionArguments arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var node = arguments.Node("ids");
        if (node is null)
        {
            return null;
        }

        if (node is JsonValue text && text.GetValueKind() == JsonValueKind.String && text.GetValue<string>() == "recently-active")
        {
            return new IdSelection([], [], RecentlyActive: true);
        }

        var items = node is JsonArray ? arguments.List("ids")! : new JsonArray(node.DeepClone());
        var wanted = new IdSelection([], [], RecentlyActive: false);
        foreach (var item in items)
        {
            if (item is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<int>(out var id))
            {
                wanted.Ids.Add(id);
            }
            else if (item is JsonValue hash && hash.GetValueKind() == JsonValueKind.String && TransferKey.TryParse(hash.GetValue<string>(), out var key))
            {
                wanted.Keys.Add(key);
            }
            else
            {
                throw new TransmissionFailure("'ids' must be a torrent id, a hash string (40 or 96 hex digits), a list of them, or \"recently-active\".");
            }
        }

        return wanted;
    }

    /// <summary>The transfers an <c>ids</c> argument names.</summary>
    public sealed record IdSelection(HashSet<int> Ids, HashSet<TransferKey> Keys, bool RecentlyActive);

    public Task<JsonObject> GetAsync(TransmissionArguments arguments, CancellationToken cancellationToken)
    {
        var fields = arguments.Strings("fields") ?? throw new TransmissionFailure("no fields specified");
        var known = fields.Where(TorrentFields.IsKnown).Distinct(StringComparer.Ordinal).ToList();
        var table = arguments.String("format") switch
        {
            null or "objects" => false,
            "table" => true,
            var other => throw new TransmissionFailure($"'format' must be \"objects\" or \"table\", not '{Sentences.Shorten(other, 40)}'."),
        };
        var (selected, recentlyActive) = Select(arguments);
        var now = time.GetUtcNow();
        var directory = settings.Current.DownloadDirectory;
        var rows = new JsonArray();
        if (table)
        {
            rows.Add(new JsonArray([.. known.Select(field => (JsonNode?)field)]));
        }

        foreach (var (id, transfer) in selected)
        {
            var context = new TorrentContext(id, transfer, transfers, torrents, directory, ids, now, limits);
            if (table)
            {
                rows.Add(new JsonArray([.. known.Select(field => TorrentFields.Value(field, context))]));
            }
            else
            {
                var row = new JsonObject();
                foreach (var field in known)
                {
                    row[field] = TorrentFields.Value(field, context);
                }

                rows.Add(row);
            }
        }

        var answer = new JsonObject { ["torrents"] = rows };
        if (recentlyActive)
        {
            answer["removed"] = new JsonArray([.. ids.RecentlyRemoved().Select(id => (JsonNode?)id)]);
        }

        return Task.FromResult(answer);
    }

    public async Task<JsonObject> AddAsync(TransmissionArguments arguments, CancellationToken cancellationToken)
    {
        var filename = arguments.String("filename");
        var metainfo = arguments.String("metainfo");
        if ((filename is null) == (metainfo is null))
        {
            throw new TransmissionFailure("torrent-add needs either 'filename' (a magnet link, a URL or a path of a .torrent) or 'metainfo' (a .torrent file in base64).");
        }

        if (filename?.Length > MaxFilenameLength)
        {
            throw new TransmissionFailure($"'filename' is longer than {MaxFilenameLength:N0} characters; no magnet link, URL or path is that long.");
        }

        var files = TransmissionFileSelection.Read(arguments);
        var directory = arguments.String("download-dir");
        var paused = arguments.Boolean("paused") ?? false;
        // Ids for what is listed before the add, so a new transfer numbers after them.
        ids.Sync(transfers.List());
        var request = new TransferRequest(filename ?? string.Empty, string.IsNullOrWhiteSpace(directory) ? null : directory, [], AddWait, Files: files);
        TransferAdded added;
        try
        {
            if (metainfo is not null)
            {
                var bytes = IncomingFile.Decode(metainfo, "'metainfo'");
                added = await IncomingFile.AddAsync(transfers, runtime.DataDirectory, bytes, IncomingFile.KindOf(null, bytes), "the added torrent", request, cancellationToken);
            }
            else
            {
                added = await transfers.AddAsync(request, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is FormatException or TorrentStorageException or ArgumentException or IOException or UnauthorizedAccessException
            or LbryDataException or InvalidOperationException or StorageException)
        {
            throw new TransmissionFailure(ex.Message);
        }

        var duplicate = !added.Created;
        if (paused && !duplicate)
        {
            await StopQuietlyAsync(added.Transfer.Key, cancellationToken);
        }

        var id = ids.Sync(transfers.List()).FirstOrDefault(entry => entry.Transfer.Key == added.Transfer.Key).Id;
        var summary = new JsonObject
        {
            ["hashString"] = added.Transfer.Key.Hash,
            ["id"] = id,
            ["name"] = added.Transfer.Name ?? added.Transfer.Key.Hash,
        };
        return new JsonObject { [duplicate ? "torrent-duplicate" : "torrent-added"] = summary };
    }

    /// <summary>
    /// torrent-start and torrent-start-now: a stopped, failed or finished transfer runs again (or waits in the queue
    /// when its slots are full); start-now skips the queue, a queued one included. A running one is left alone.
    /// </summary>
    public async Task<JsonObject> StartAsync(TransmissionArguments arguments, CancellationToken cancellationToken, bool now = false)
    {
        var problems = new List<string>();
        foreach (var (_, transfer) in Select(arguments).Selected)
        {
            if (transfer.State is not (TransferState.Stopped or TransferState.Failed or TransferState.Completed) && !(now && transfer.State == TransferState.Queued))
            {
                continue;
            }

            await Try(problems, transfer, () => Task.FromResult(now ? transfers.StartNow(transfer.Key) : transfers.Start(transfer.Key)));
        }

        return Done(problems);
    }

    public async Task<JsonObject> StopAsync(TransmissionArguments arguments, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        foreach (var (_, transfer) in Select(arguments).Selected)
        {
            if (transfer.State is TransferState.Stopped or TransferState.Failed or TransferState.Completed)
            {
                continue;
            }

            await Try(problems, transfer, () => transfers.StopAsync(transfer.Key, cancellationToken));
        }

        return Done(problems);
    }

    public async Task<JsonObject> RemoveAsync(TransmissionArguments arguments, CancellationToken cancellationToken)
    {
        var deleteData = arguments.Boolean("delete-local-data") ?? false;
        var problems = new List<string>();
        foreach (var (_, transfer) in Select(arguments).Selected)
        {
            await Try(problems, transfer, async () =>
            {
                var removed = await transfers.RemoveAsync(transfer.Key, deleteData, cancellationToken);
                ids.Removed(transfer.Key);
                return removed;
            });
        }

        return Done(problems);
    }

    public Task<JsonObject> VerifyAsync(TransmissionArguments arguments, CancellationToken cancellationToken)
    {
        _ = Select(arguments);
        throw new TransmissionFailure(
            "SmartShare cannot verify a transfer on request: a torrent's pieces are checked as they arrive and re-checked at every start, a stream's blobs when they are read; stop and start the torrent to have it checked again.");
    }

    /// <summary>queue-move-top/up/down/bottom.</summary>
    public Task<JsonObject> MoveAsync(TransmissionArguments arguments, Transfers.Queueing.QueueMoveKind kind)
    {
        TransmissionQueue.Move(transfers, [.. Select(arguments).Selected.Select(entry => entry.Transfer)], kind);
        return Task.FromResult(new JsonObject());
    }

    /// <summary>torrent-set: file selection, speed limits, queue position and seeding limits are applied; what the node has no setting for is refused by name; harmless keys (labels) are accepted and ignored.</summary>
    public async Task<JsonObject> SetAsync(TransmissionArguments arguments, CancellationToken cancellationToken)
    {
        var selected = Select(arguments).Selected;
        var files = TransmissionFileSelection.Read(arguments);

        if (TrackerKeys.Any(arguments.HasEntries))
        {
            throw new TransmissionFailure("SmartShare cannot change a torrent's trackers: it announces to those its metainfo or magnet link names.");
        }

        if (arguments.Has("location"))
        {
            throw new TransmissionFailure("SmartShare cannot move a transfer's data; remove it and add it again with another download-dir.");
        }

        // Every transfer's new limits are worked out (and checked) before any is written.
        var changes = selected
            .Select(entry => (entry.Transfer.Key, Limits: limits is null ? null : TransmissionLimits.TorrentChange(arguments, limits.Get(entry.Transfer.Key))))
            .ToList();
        foreach (var (key, own) in changes)
        {
            if (own is not null)
            {
                limits!.Set(key, own);
            }
        }

        TransmissionQueue.ApplyTorrentSet(transfers, [.. selected.Select(entry => entry.Transfer)], arguments);
        var problems = new List<string>();
        if (files is not null)
        {
            await TransmissionFileSelection.ApplyAsync(files, torrents, selected.Select(entry => entry.Transfer), problems, cancellationToken);
        }

        return Done(problems);
    }

    private async Task StopQuietlyAsync(TransferKey key, CancellationToken cancellationToken)
    {
        try
        {
            await transfers.StopAsync(key, cancellationToken);
        }
        catch (InvalidOperationException)
        {
            // A complete stream cannot be paused: it is added as it is.
        }
    }

    // Each transfer on its own: one that cannot be changed is named in the answer, the others still are.
    private static async Task Try(List<string> problems, Transfer transfer, Func<Task<bool>> action)
    {
        try
        {
            _ = await action();
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or TorrentStorageException or IOException or UnauthorizedAccessException or StorageException)
        {
            problems.Add(ex.Message);
        }
    }

    private static JsonObject Done(List<string> problems) =>
        problems.Count == 0 ? [] : throw new TransmissionFailure(string.Join(" ", problems.Distinct(StringComparer.Ordinal).Take(10)));
}
