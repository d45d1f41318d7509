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
    /// <summary>How many files a view lists unless asked for another window: a torrent may hold 100,000.</summary>
    public const int DefaultFileLimit = 1000;

    /// <summary>
    /// The whole view. <paramref name="files"/> chooses which files it lists (by default the first
    /// <see cref="DefaultFileLimit"/>); <c>file_count</c> always says how many there are, so a caller pages the rest.
    /// A torrent running in a session gives each file its <c>streaming_url</c> from <paramref name="links"/>.
    /// </summary>
    public static JsonObject ToJson(Transfer transfer, JsonObject networkView, StreamLinks? links = null, FileWindow? files = null)
    {
        ArgumentNullException.ThrowIfNull(transfer);
        ArgumentNullException.ThrowIfNull(networkView);
        var json = networkView;
        var window = files ?? FileWindow.Default;
        AddCommon(json, TransferRow.Of(transfer));
        Queueing.TransferScheduling.WriteClock(json, transfer.Scheduling);
        var streamable = links is not null && transfer.Key.Network == TransferNetwork.Torrent && json["streaming_url"] is not null;
        var listed = new JsonArray();
        var end = (int)Math.Min(transfer.Files.Count, (long)window.Offset + window.Limit);
        for (var i = window.Offset; i < end; i++)
        {
            var file = FileJson(transfer.Files[i]);
            if (streamable)
            {
                file["streaming_url"] = links!.Url(transfer.Key.Hash, i);
            }

            listed.Add(file);
        }

        json["files"] = listed;
        json["file_count"] = transfer.Files.Count;
        if (window.Offset > 0 || end < transfer.Files.Count)
        {
            json["files_offset"] = window.Offset;
        }

        json["private"] = transfer.Private;
        return json;
    }

    /// <summary>
    /// A transfer's row in a list (the web UI's <c>/events</c> feed): the fields common to both networks, with no
    /// files and none of the network's own, so thousands of rows stay small.
    /// </summary>
    public static JsonObject Row(Transfer transfer) => Row(TransferRow.Of(transfer));

    /// <summary>The row of <see cref="Row(Transfer)"/> from what the networks read without building the view.</summary>
    public static JsonObject Row(in TransferRow row)
    {
        var json = new JsonObject();
        AddCommon(json, row);
        json["private"] = row.Private;
        json["error"] = row.Error;
        json["added_at"] = row.AddedAt.ToUnixTimeSeconds();
        return json;
    }

    private static void AddCommon(JsonObject json, in TransferRow row)
    {
        json["type"] = row.Key.Network == TransferNetwork.Stream ? "stream" : "torrent";
        json["key"] = row.Key.Hash;
        json["name"] = row.Name;
        json["direction"] = row.Direction == TransferDirection.Share ? "share" : "download";
        json["state"] = StateName(row.State);
        json["progress"] = new JsonObject
        {
            ["bytes_have"] = row.BytesHave,
            ["bytes_total"] = row.BytesTotal,
            ["fraction"] = row.Fraction is { } fraction ? Math.Round(fraction, 4) : null,
            ["bytes_received"] = row.BytesReceived,
            ["bytes_sent"] = row.BytesSent,
            ["uploaded"] = row.Uploaded,
            ["ratio"] = row.Ratio is { } ratio ? Math.Round(ratio, 3) : null,
            ["download_rate"] = Math.Round(row.DownloadRate),
            ["upload_rate"] = Math.Round(row.UploadRate),
            ["peers_connected"] = row.PeersConnected,
            ["peers_known"] = row.PeersKnown,
            ["eta_seconds"] = row.Eta is { } eta ? (long)eta.TotalSeconds : null,
        };
        Queueing.TransferScheduling.Write(json, row.Queue);
    }

    /// <summary>The state's name in the API: snake_case of <see cref="TransferState"/>.</summary>
    public static string StateName(TransferState state) => state switch
    {
        TransferState.FetchingMetadata => "fetching_metadata",
        _ => state.ToString().ToLower(CultureInfo.InvariantCulture),
    };

    private static JsonObject FileJson(TransferFile file)
    {
        var json = new JsonObject { ["index"] = file.Index };
        json["path"] = file.Path;
        json["length"] = file.Length;
        json["bytes_have"] = file.BytesHave;
        json["wanted"] = file.Wanted;
        json["priority"] = file.Priority.ToString().ToLower(CultureInfo.InvariantCulture);
        return json;
    }
}

/// <summary>Which files of a transfer a view lists: from <see cref="Offset"/>, at most <see cref="Limit"/>.</summary>
public readonly record struct FileWindow(int Offset, int Limit)
{
    /// <summary>The most one answer lists: a page of the largest torrent the parser accepts.</summary>
    public const int MaxLimit = 100_000;

    public static FileWindow Default => new(0, TransferView.DefaultFileLimit);

    /// <summary>The window a call asks for with <c>files_offset</c> and <c>files_limit</c> (0: no files, only <c>file_count</c>).</summary>
    public static FileWindow Read(Api.RpcParams parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return new FileWindow(
            parameters.GetInt32("files_offset", 0, min: 0),
            parameters.GetInt32("files_limit", TransferView.DefaultFileLimit, min: 0, max: MaxLimit));
    }
}
