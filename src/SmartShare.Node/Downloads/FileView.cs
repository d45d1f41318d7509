using System.Text.Json.Nodes;
using SmartShare.Lbry.Downloads;

namespace SmartShare.Node.Downloads;

/// <summary>How <c>file_list</c>, <c>get</c> and <c>stream_create</c> show a file, close to lbrynet's field names.</summary>
public static class FileView
{
    /// <summary>
    /// The error to show. A download that just ended carries its own raw reason (a full disk's "try again") until the
    /// manager records how it ended (paused, with the sentence saying it goes on by itself, or failed): until then the
    /// record's error is shown, so a client never reads the raw reason as the last word. `get` following a download
    /// through a full disk once ended on it when its poll fell in that moment.
    /// </summary>
    internal static string? ErrorOf(StreamDownloadProgress? progress, FileRecord record) =>
        (progress is { State: StreamDownloadState.Failed or StreamDownloadState.Stopped } ? null : progress?.Error) ?? record.Error;

    public static JsonObject ToJson(FileRecord record, ActiveDownload? active, Streaming.StreamLinks? links)
    {
        ArgumentNullException.ThrowIfNull(record);
        var progress = active?.Download.Progress;
        // A download that just ended is still active for a moment; until the manager records how it ended
        // (failed, or paused on a full disk), it shows as running rather than guessing.
        var status = progress?.State switch
        {
            null => record.Status.ToString().ToLowerInvariant(),
            StreamDownloadState.Completed => "completed",
            StreamDownloadState.Failed or StreamDownloadState.Stopped when record.Status != FileStatus.Downloading =>
                record.Status.ToString().ToLowerInvariant(),
            _ => "running",
        };
        var path = active?.Download.OutputPath ?? record.Path;
        var json = new JsonObject
        {
            ["sd_hash"] = record.SdHash.ToString(),
            ["kind"] = record.Kind.ToString().ToLowerInvariant(),
            ["status"] = status,
            ["stream_name"] = active?.Download.Descriptor?.StreamName ?? record.StreamName,
            ["download_directory"] = record.DownloadDirectory,
            ["download_path"] = path,
            ["file_name"] = path is null ? null : Path.GetFileName(path),
            ["completed"] = status == "completed",
            ["error"] = ErrorOf(progress, record),
            ["added_at"] = record.AddedAt.ToUnixTimeSeconds(),
            ["completed_at"] = record.CompletedAt?.ToUnixTimeSeconds(),
            ["streaming_url"] = links?.Url(record.SdHash.ToString()),
        };
        if (progress is not null)
        {
            json["blobs_completed"] = progress.BlobsHave;
            json["blobs_in_stream"] = progress.BlobsTotal;
            json["bytes_have"] = progress.BytesHave;
            json["bytes_total"] = progress.BytesTotal;
            json["written_bytes"] = progress.BytesWritten;
            json["received_bytes"] = progress.BytesReceived;
            json["peers"] = progress.PeersKnown;
            json["active_peers"] = progress.PeersActive;
            json["rate_bytes_per_second"] = Math.Round(active!.BytesPerSecond);
        }
        else if (status == "completed" && path is not null && File.Exists(path))
        {
            json["written_bytes"] = new FileInfo(path).Length;
        }

        return json;
    }
}
