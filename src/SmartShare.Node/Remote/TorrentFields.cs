using System.Text.Json.Nodes;
using SmartShare.Node.Transfers;

namespace SmartShare.Node.Remote;

/// <summary>
/// Transmission's torrent fields (RPC version 16/17 names) from a transfer: every field <c>transmission-remote</c>
/// 3.00 asks for in <c>-l</c>, <c>-i</c>, <c>-f</c>, <c>-ip</c>, <c>-it</c> and <c>-ic</c>, and what Flood reads.
/// A field the node cannot fill is answered with Transmission's "none" value (0, false, empty, -1 where Transmission
/// uses it); a field it does not know is left out, as Transmission's own server does.
/// </summary>
internal static class TorrentFields
{
    // Transmission's status codes.
    public const int Stopped = 0;
    public const int CheckWait = 1;
    public const int Checking = 2;
    public const int DownloadWait = 3;
    public const int Downloading = 4;
    public const int SeedWait = 5;
    public const int Seeding = 6;

    /// <summary>The connections a torrent keeps at most (the engine's default; the node sets no other).</summary>
    public static readonly int PeersPerTorrent = new BitTorrent.Engine.TorrentSessionOptions().MaxPeers;

    /// <summary>TR_STAT_LOCAL_ERROR: the transfer stopped on a problem of its own.</summary>
    private const int LocalError = 3;

    private static readonly Dictionary<string, Func<TorrentContext, JsonNode?>> Fields = new(StringComparer.Ordinal)
    {
        ["activityDate"] = c => Unix(c.Ids.LastChange(c.Transfer.Key) ?? c.Transfer.AddedAt),
        ["addedDate"] = c => Unix(c.Transfer.AddedAt),
        ["bandwidthPriority"] = _ => 0,
        ["comment"] = c => c.Details?.Torrent.Comment ?? string.Empty,
        ["corruptEver"] = _ => 0,
        ["creator"] = c => c.Details?.Torrent.CreatedBy ?? string.Empty,
        ["dateCreated"] = c => c.Details?.Torrent.CreationDate is { } created ? created.ToUnixTimeSeconds() : 0,
        ["desiredAvailable"] = c => c.Details?.Session?.DesiredAvailableBytes ?? 0,
        ["doneDate"] = c => c.Transfer.CompletedAt is { } done ? done.ToUnixTimeSeconds() : 0,
        ["downloadDir"] = c => c.Transfer.DownloadDirectory ?? c.DefaultDirectory,
        ["downloadedEver"] = c => c.Transfer.Progress.BytesReceived,
        ["downloadLimit"] = c => TransmissionLimits.TorrentField("downloadLimit", c.OwnLimits),
        ["downloadLimited"] = c => TransmissionLimits.TorrentField("downloadLimited", c.OwnLimits),
        ["editDate"] = _ => 0,
        ["error"] = c => c.Transfer.State == TransferState.Failed ? LocalError : 0,
        ["errorString"] = c => c.Transfer.State == TransferState.Failed ? c.Transfer.Error ?? "The transfer failed." : string.Empty,
        ["eta"] = c => Eta(c.Transfer),
        ["etaIdle"] = _ => -1,
        ["file-count"] = c => c.Transfer.Files.Count,
        ["files"] = Files,
        ["fileStats"] = FileStats,
        // A stream's is its 96-digit sd hash: transmission-remote 3.00 prints it in -i and takes it in -t (interop-tested).
        ["hashString"] = c => c.Transfer.Key.Hash,
        ["haveUnchecked"] = _ => 0,
        ["haveValid"] = c => c.View["bytes_have"] is JsonValue have && have.TryGetValue<long>(out var bytes) ? bytes : c.Transfer.Progress.BytesHave,
        ["honorsSessionLimits"] = _ => true,
        ["id"] = c => c.Id,
        ["isFinished"] = c => c.Transfer.State == TransferState.Completed,
        ["isPrivate"] = c => c.Transfer.Private,
        ["isStalled"] = _ => false,
        ["labels"] = _ => new JsonArray(),
        ["leftUntilDone"] = c => LeftUntilDone(c),
        ["magnetLink"] = c => MagnetLink(c),
        ["manualAnnounceTime"] = _ => -1,
        ["maxConnectedPeers"] = _ => PeersPerTorrent,
        ["metadataPercentComplete"] = c => c.Transfer.State == TransferState.FetchingMetadata || c.Transfer.Progress.BytesTotal is null ? 0.0 : 1.0,
        ["name"] = c => c.Transfer.Name ?? c.Transfer.Key.Hash,
        ["peer-limit"] = _ => PeersPerTorrent,
        ["peers"] = Peers,
        ["peersConnected"] = c => c.Transfer.Progress.PeersConnected,
        ["peersGettingFromUs"] = c => PeersGettingFromUs(c),
        ["peersSendingToUs"] = c => PeersSendingToUs(c),
        ["percentDone"] = c => c.Transfer.Progress.Fraction ?? 0.0,
        ["pieces"] = c => c.Details?.PiecesBase64() ?? string.Empty,
        ["pieceCount"] = c => c.Details is { } details ? details.Info.PieceCount : c.View["pieces_total"]?.DeepClone() ?? 0,
        ["pieceSize"] = c => c.Details?.Info.PieceLength ?? 0,
        ["priorities"] = c => new JsonArray([.. c.Transfer.Files.Select(file => (JsonNode?)Priority(file))]),
        ["queuePosition"] = c => c.Transfer.Scheduling?.QueuePosition ?? c.Id - 1,
        ["rateDownload"] = c => (long)Math.Round(c.Transfer.Progress.DownloadRate),
        ["rateUpload"] = c => (long)Math.Round(c.Transfer.Progress.UploadRate),
        ["recheckProgress"] = _ => 0.0,
        ["secondsDownloading"] = _ => 0,
        ["secondsSeeding"] = c => (long)(c.Transfer.Scheduling?.Seeding.TotalSeconds ?? 0),
        ["seedIdleLimit"] = c => c.Transfer.Scheduling?.Goals.IdleMinutes ?? 0,
        ["seedIdleMode"] = c => TransmissionQueue.IdleMode(c.Transfer),
        ["seedRatioLimit"] = c => c.Transfer.Scheduling?.Goals.Ratio ?? 0.0,
        ["seedRatioMode"] = c => TransmissionQueue.RatioMode(c.Transfer),
        ["sequentialDownload"] = c => c.View["sequential_download"]?.GetValue<bool>() ?? false,
        ["sequential_download"] = c => c.View["sequential_download"]?.GetValue<bool>() ?? false,
        ["sizeWhenDone"] = c => c.Transfer.Progress.BytesTotal ?? 0,
        ["startDate"] = _ => 0,
        ["status"] = c => c.Transfer.Scheduling?.Waiting == "seed" ? SeedWait : Status(c.Transfer.State),
        ["torrentFile"] = _ => string.Empty,
        // A torrent's whole size; sizeWhenDone above counts only the wanted files' pieces.
        ["totalSize"] = c => c.View["total_length"] is JsonValue total && total.TryGetValue<long>(out var length) ? length : c.Transfer.Progress.BytesTotal ?? 0,
        ["trackers"] = Trackers,
        ["trackerStats"] = TrackerStats,
        ["uploadedEver"] = c => c.Transfer.Progress.Uploaded,
        ["uploadLimit"] = c => TransmissionLimits.TorrentField("uploadLimit", c.OwnLimits),
        ["uploadLimited"] = c => TransmissionLimits.TorrentField("uploadLimited", c.OwnLimits),
        ["uploadRatio"] = c => c.Transfer.Progress.Ratio ?? -1.0,
        ["wanted"] = c => new JsonArray([.. c.Transfer.Files.Select(file => (JsonNode?)(file.Wanted ? 1 : 0))]),
        ["webseeds"] = _ => new JsonArray(),
        ["webseedsSendingToUs"] = _ => 0,
    };

    /// <summary>Whether the endpoint knows a field.</summary>
    public static bool IsKnown(string field) => Fields.ContainsKey(field);

    /// <summary>The field's value; call only for known fields.</summary>
    public static JsonNode? Value(string field, TorrentContext context) => Fields[field](context);

    /// <summary>Transmission's status code for a transfer state (a finished or failed transfer is stopped).</summary>
    public static int Status(TransferState state) => state switch
    {
        TransferState.Queued => DownloadWait,
        TransferState.Checking => Checking,
        TransferState.FetchingMetadata or TransferState.Downloading => Downloading,
        TransferState.Seeding => Seeding,
        _ => Stopped,
    };

    // Transmission's -1 (no ETA: not downloading) and -2 (downloading, but nothing comes in to estimate from).
    private static long Eta(Transfer transfer) =>
        transfer.Progress.Eta is { } eta ? (long)eta.TotalSeconds
        : transfer.State is TransferState.Queued or TransferState.FetchingMetadata or TransferState.Downloading ? -2 : -1;

    private static long LeftUntilDone(TorrentContext context) =>
        context.Transfer.Progress.BytesTotal is { } total ? Math.Max(0, total - context.Transfer.Progress.BytesHave) : 0;

    private static long Unix(DateTimeOffset time) => time.ToUnixTimeSeconds();

    private static int Priority(TransferFile file) => file.Priority switch
    {
        FilePriority.Low => -1,
        FilePriority.High => 1,
        _ => 0,
    };

    // Transmission names a multi-file torrent's files under the torrent's folder ("Album/01.flac"); a single file by its name.
    private static string FileName(TorrentContext context, TransferFile file)
    {
        var multiFile = context.Transfer.Key.Network == TransferNetwork.Torrent
            && (context.Details is { } details ? !details.Info.IsSingleFile : context.Transfer.Files.Count > 1);
        return multiFile && context.Transfer.Name is { } folder ? $"{folder}/{file.Path}" : file.Path;
    }

    private static JsonArray Files(TorrentContext context) =>
        new([.. context.Transfer.Files.Select(file => (JsonNode?)new JsonObject
        {
            ["bytesCompleted"] = file.BytesHave,
            ["length"] = file.Length,
            ["name"] = FileName(context, file),
        })]);

    private static JsonArray FileStats(TorrentContext context) =>
        new([.. context.Transfer.Files.Select(file => (JsonNode?)new JsonObject
        {
            ["bytesCompleted"] = file.BytesHave,
            ["wanted"] = file.Wanted,
            ["priority"] = Priority(file),
        })]);

    private static string MagnetLink(TorrentContext context)
    {
        if (context.Transfer.Key.Network != TransferNetwork.Torrent)
        {
            return string.Empty;
        }

        if (context.View["magnet"] is JsonValue magnet && magnet.TryGetValue<string>(out var link) && link.Length > 0)
        {
            return link;
        }

        var name = context.Transfer.Name is { } text ? "&dn=" + Uri.EscapeDataString(text) : string.Empty;
        return $"magnet:?xt=urn:btih:{context.Transfer.Key.Hash}{name}";
    }

    // A stream's peers have no measured rates: while it downloads, its connected peers are the ones sending.
    private static int PeersSendingToUs(TorrentContext context) =>
        context.Transfer.Key.Network == TransferNetwork.Stream
            ? context.Transfer.State == TransferState.Downloading ? context.Transfer.Progress.PeersConnected : 0
            : context.Peers.Count(peer => peer.DownloadRate >= 1);

    private static int PeersGettingFromUs(TorrentContext context) => context.Peers.Count(peer => peer.UploadRate >= 1);

    private static JsonArray Peers(TorrentContext context) =>
        new([.. context.Peers.Select(peer => (JsonNode?)new JsonObject
        {
            ["address"] = peer.EndPoint.Address.ToString(),
            ["port"] = peer.EndPoint.Port,
            ["clientName"] = peer.Client ?? string.Empty,
            ["clientIsChoked"] = false,
            ["clientIsInterested"] = false,
            ["flagStr"] = (peer.DownloadRate >= 1 ? "D" : string.Empty) + (peer.UploadRate >= 1 ? "U" : string.Empty),
            ["isDownloadingFrom"] = peer.DownloadRate >= 1,
            ["isEncrypted"] = false,
            ["isIncoming"] = false,
            ["isUploadingTo"] = peer.UploadRate >= 1,
            ["isUTP"] = peer.Transport == "utp",
            ["peerIsChoked"] = false,
            ["peerIsInterested"] = false,
            ["progress"] = peer.Progress ?? 0.0,
            ["rateToClient"] = (long)Math.Round(peer.DownloadRate ?? 0),
            ["rateToPeer"] = (long)Math.Round(peer.UploadRate ?? 0),
        })]);

    private static JsonArray Trackers(TorrentContext context) =>
        new([.. (context.Details?.Trackers ?? []).Select((tracker, index) => (JsonNode?)new JsonObject
        {
            ["announce"] = tracker.Url,
            ["id"] = index,
            ["scrape"] = string.Empty,
            ["tier"] = tracker.Tier,
        })]);

    // Each tracker of the metainfo with its tier and, while the torrent runs, how its last announce went (the
    // torrent view's "trackers": time, error, seeders, leechers, peers) and when the next one is due; zeros and -1
    // (Transmission's "unknown") for what the node does not track (scrapes, download counts).
    private static JsonArray TrackerStats(TorrentContext context)
    {
        var trackers = context.Details?.Trackers ?? [];
        var live = (context.View["trackers"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .Where(item => item["url"] is JsonValue)
            .GroupBy(item => item["url"]!.GetValue<string>(), StringComparer.Ordinal)
            .ToDictionary(group => group.Key, group => group.First(), StringComparer.Ordinal);
        var next = Long(context.View["next_announce"]) ?? 0;
        return new([.. trackers.Select((tracker, index) =>
        {
            var known = Uri.TryCreate(tracker.Url, UriKind.Absolute, out var uri);
            var state = live.GetValueOrDefault(known ? uri!.ToString() : tracker.Url);
            var at = Long(state?["last_announce"]) ?? 0;
            var error = state?["error"] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
            return (JsonNode?)new JsonObject
            {
                ["announce"] = tracker.Url,
                ["announceState"] = state is null ? 0 : 1,
                ["downloadCount"] = -1,
                ["hasAnnounced"] = at > 0,
                ["hasScraped"] = false,
                ["host"] = known ? uri!.GetLeftPart(UriPartial.Authority) : tracker.Url,
                ["id"] = index,
                ["isBackup"] = false,
                ["lastAnnouncePeerCount"] = Long(state?["peers"]) ?? 0,
                ["lastAnnounceResult"] = at == 0 ? string.Empty : error ?? "Success",
                ["lastAnnounceStartTime"] = at,
                ["lastAnnounceSucceeded"] = at > 0 && error is null,
                ["lastAnnounceTime"] = at,
                ["lastAnnounceTimedOut"] = false,
                ["lastScrapeResult"] = string.Empty,
                ["lastScrapeStartTime"] = 0,
                ["lastScrapeSucceeded"] = false,
                ["lastScrapeTime"] = 0,
                ["lastScrapeTimedOut"] = false,
                ["leecherCount"] = Long(state?["leechers"]) ?? -1,
                ["nextAnnounceTime"] = state is null ? 0 : next,
                ["nextScrapeTime"] = 0,
                ["scrape"] = string.Empty,
                ["scrapeState"] = 0,
                ["seederCount"] = Long(state?["seeders"]) ?? -1,
                ["tier"] = tracker.Tier,
            };
        })]);
    }

    private static long? Long(JsonNode? node) => node switch
    {
        JsonValue value when value.TryGetValue<long>(out var number) => number,
        JsonValue value when value.TryGetValue<int>(out var number) => number,
        _ => null,
    };
}
