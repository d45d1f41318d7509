using System.Text.Json.Nodes;
using SmartShare.BitTorrent.Engine;
using SmartShare.Node.Downloads;

namespace SmartShare.Node.Torrents;

/// <summary>
/// How <c>file_list</c> and <c>get</c> show a torrent: the same field names as a stream where the meaning is the
/// same (status, stream_name, download_path, bytes_have, bytes_total, active_peers, rate), plus what only torrents have.
/// A torrent added by magnet link has the status "metadata" until its metadata arrives from peers.
/// </summary>
public static class TorrentView
{
    public static JsonObject ToJson(TorrentRecord record, TorrentSession? session, Streaming.StreamLinks? links)
    {
        ArgumentNullException.ThrowIfNull(record);
        var progress = session?.Progress;
        var status = progress?.State switch
        {
            null when record.AwaitingMetadata && record.Status == FileStatus.Downloading => "metadata",
            null => record.Status.ToString().ToLowerInvariant(),
            TorrentState.Checking => "checking",
            TorrentState.Downloading => "running",
            TorrentState.Seeding => "completed",
            _ => record.Status == FileStatus.Downloading ? "stopped" : record.Status.ToString().ToLowerInvariant(),
        };
        var path = Path.Combine(record.DownloadDirectory, record.RootName);
        var json = new JsonObject
        {
            ["type"] = "torrent",
            ["info_hash"] = record.InfoHash.ToString(),
            ["kind"] = record.Kind.ToString().ToLowerInvariant(),
            ["status"] = status,
            ["stream_name"] = record.Name,
            ["download_directory"] = record.DownloadDirectory,
            ["download_path"] = record.AwaitingMetadata ? null : path,
            ["file_name"] = record.AwaitingMetadata ? null : record.RootName,
            ["completed"] = status == "completed",
            ["seeding"] = progress?.State == TorrentState.Seeding,
            ["error"] = progress?.Error ?? record.Error,
            ["added_at"] = record.AddedAt.ToUnixTimeSeconds(),
            ["completed_at"] = record.CompletedAt?.ToUnixTimeSeconds(),
            ["bytes_total"] = record.AwaitingMetadata ? null : record.TotalLength,
            ["awaiting_metadata"] = record.AwaitingMetadata,
            ["magnet"] = record.Magnet,
        };
        if (session is not null)
        {
            var info = session.Torrent.Info;
            json["streaming_url"] = links?.Url(record.InfoHash.ToString());
            json["private_torrent"] = info.IsPrivate;
            json["piece_length"] = info.PieceLength;
            json["meta_version"] = info.IsHybrid ? "hybrid" : "v1";
            json["next_announce"] = session.NextTrackerAnnounce?.ToUnixTimeSeconds();
            json["trackers"] = new JsonArray([.. session.Trackers.Select(tracker => (JsonNode?)new JsonObject
            {
                ["url"] = tracker.Url.ToString(),
                ["tier"] = tracker.Tier,
                ["last_announce"] = tracker.LastAnnounce?.ToUnixTimeSeconds(),
                ["error"] = tracker.Error,
                ["seeders"] = tracker.Seeders,
                ["leechers"] = tracker.Leechers,
                ["peers"] = tracker.Peers,
            })]);
        }

        if (progress is not null)
        {
            json["bytes_have"] = progress.VerifiedBytes;
            json["pieces_have"] = progress.PiecesHave;
            json["pieces_total"] = progress.PieceCount;
            json["received_bytes"] = progress.Downloaded;
            json["uploaded_bytes"] = progress.Uploaded;
            json["peers"] = progress.Peers;
            json["active_peers"] = progress.Peers;
            json["seeds"] = progress.Seeds;
            json["rate_bytes_per_second"] = Math.Round(progress.DownloadRate);
            json["upload_rate_bytes_per_second"] = Math.Round(progress.UploadRate);
            json["tracker_error"] = progress.TrackerError;
            json["pieces_lost"] = progress.PiecesLost;
            json["note"] = progress.Note;
        }
        else if (record.Status == FileStatus.Completed)
        {
            json["bytes_have"] = record.TotalLength;
        }

        return json;
    }
}
