using System.Globalization;
using System.Text.Json.Nodes;
using SmartShare.Node.Streaming;

namespace SmartShare.Node.Transfers;

/// <summary>
/// The one JSON shape of a transfer in <c>file_list</c>, <c>get</c> and <c>file_delete</c>: the network's own fields
/// (lbrynet's names: sd_hash, status, download_path, blobs_completed …; or info_hash, pieces_have …) and, the same for
/// both, <c>type</c> (stream or torrent), <c>key</c>, <c>state</c>, <c>progress</c> and <c>files</c>.
/// </summary>
public static class TransferView
{
    public static JsonObject ToJson(Transfer transfer, JsonObject networkView)
    {
        ArgumentNullException.ThrowIfNull(transfer);
        ArgumentNullException.ThrowIfNull(networkView);
        var json = networkView;
        AddCommon(json, transfer);
        Queueing.TransferScheduling.WriteClock(json, transfer.Scheduling);
        json["files"] = new JsonArray([.. transfer.Files.Select(file => (JsonNode?)FileJson(file, json["files"] as JsonArray))]);
        json["private"] = transfer.Private;
        return json;
    }

    /// <summary>
    /// A transfer's row in a list (the web UI's <c>/events</c> feed): the fields common to both networks, with no
    /// files and none of the network's own, so thousands of rows stay small.
    /// </summary>
    public static JsonObject Row(Transfer transfer)
    {
        ArgumentNullException.ThrowIfNull(transfer);
        var json = new JsonObject();
        AddCommon(json, transfer);
        json["private"] = transfer.Private;
        json["error"] = transfer.Error;
        json["added_at"] = transfer.AddedAt.ToUnixTimeSeconds();
        return json;
    }

    private static void AddCommon(JsonObject json, Transfer transfer)
    {
        var progress = transfer.Progress;
        json["type"] = transfer.Key.Network == TransferNetwork.Stream ? "stream" : "torrent";
        json["key"] = transfer.Key.Hash;
        json["name"] = transfer.Name;
        json["direction"] = transfer.Direction == TransferDirection.Share ? "share" : "download";
        json["state"] = StateName(transfer.State);
        json["progress"] = new JsonObject
        {
            ["bytes_have"] = progress.BytesHave,
            ["bytes_total"] = progress.BytesTotal,
            ["fraction"] = progress.Fraction is { } fraction ? Math.Round(fraction, 4) : null,
            ["bytes_received"] = progress.BytesReceived,
            ["bytes_sent"] = progress.BytesSent,
            ["uploaded"] = progress.Uploaded,
            ["ratio"] = progress.Ratio is { } ratio ? Math.Round(ratio, 3) : null,
            ["download_rate"] = Math.Round(progress.DownloadRate),
            ["upload_rate"] = Math.Round(progress.UploadRate),
            ["peers_connected"] = progress.PeersConnected,
            ["peers_known"] = progress.PeersKnown,
            ["eta_seconds"] = progress.Eta is { } eta ? (long)eta.TotalSeconds : null,
        };
        Queueing.TransferScheduling.Write(json, transfer.Scheduling);
    }

    /// <summary>The state's name in the API: snake_case of <see cref="TransferState"/>.</summary>
    public static string StateName(TransferState state) => state switch
    {
        TransferState.FetchingMetadata => "fetching_metadata",
        _ => state.ToString().ToLower(CultureInfo.InvariantCulture),
    };

    // A torrent's own view already lists its files with their streaming URLs: keep those fields, add the common ones.
    private static JsonObject FileJson(TransferFile file, JsonArray? networkFiles)
    {
        var json = networkFiles is not null && file.Index < networkFiles.Count && networkFiles[file.Index] is JsonObject own
            ? (JsonObject)own.DeepClone()
            : new JsonObject { ["index"] = file.Index };
        json["path"] = file.Path;
        json["length"] = file.Length;
        json["bytes_have"] = file.BytesHave;
        json["wanted"] = file.Wanted;
        json["priority"] = file.Priority.ToString().ToLower(CultureInfo.InvariantCulture);
        return json;
    }
}
