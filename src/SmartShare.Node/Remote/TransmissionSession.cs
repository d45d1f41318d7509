using System.Text.Json.Nodes;
using SmartShare.Node.Hosting;
using SmartShare.Node.Settings;
using SmartShare.Node.Torrents;
using SmartShare.Node.Transfers;

namespace SmartShare.Node.Remote;

/// <summary>
/// <c>session-get</c>, <c>session-set</c> and <c>session-stats</c> from the node's settings and transfers. Speeds are
/// Transmission's kB/s (1000 bytes); the node's limits are in KiB/s and converted both ways (<see cref="TransmissionLimits"/>).
/// </summary>
internal sealed class TransmissionSession(
    TransferManager transfers,
    TorrentManager? torrents,
    NodeSettingsStore settings,
    NodeRuntime runtime,
    TransmissionIds ids,
    string sessionId)
{
    public const int RpcVersion = 17;
    public const int RpcVersionMinimum = 14;

    /// <summary>The session-set keys that change a node setting at once; every other key is accepted and ignored.</summary>
    public static readonly IReadOnlyList<string> AppliedKeys = ["download-dir", .. TransmissionLimits.SessionKeys, .. TransmissionQueue.SessionKeys];

    public static string Version => $"3.00 (SmartShare {NodeInfo.Version})";

    public Task<JsonObject> GetAsync(TransmissionArguments arguments, CancellationToken cancellationToken)
    {
        var current = settings.Current;
        var all = new JsonObject
        {
            ["blocklist-enabled"] = false,
            ["blocklist-size"] = 0,
            ["blocklist-url"] = string.Empty,
            ["cache-size-mb"] = 0,
            ["config-dir"] = runtime.DataDirectory,
            ["default-trackers"] = string.Empty,
            ["dht-enabled"] = current.BtDht,
            ["download-dir"] = current.DownloadDirectory,
            ["download-dir-free-space"] = FreeSpace(current.DownloadDirectory),
            ["encryption"] = current.BtEncryption switch
            {
                "require" => "required",
                "disable" => "tolerated",
                _ => "preferred",
            },
            ["incomplete-dir"] = current.DownloadDirectory,
            ["incomplete-dir-enabled"] = false,
            ["lpd-enabled"] = false,
            ["peer-limit-global"] = TorrentFields.PeersPerTorrent,
            ["peer-limit-per-torrent"] = TorrentFields.PeersPerTorrent,
            ["peer-port"] = torrents?.ListenEndPoint.Port ?? current.BtPort,
            ["peer-port-random-on-start"] = false,
            ["pex-enabled"] = true,
            ["port-forwarding-enabled"] = false,
            ["queue-stalled-enabled"] = false,
            ["queue-stalled-minutes"] = 0,
            ["rename-partial-files"] = true,
            ["rpc-version"] = RpcVersion,
            ["rpc-version-minimum"] = RpcVersionMinimum,
            ["script-torrent-done-enabled"] = false,
            ["script-torrent-done-filename"] = string.Empty,
            ["session-id"] = sessionId,
            ["start-added-torrents"] = true,
            ["trash-original-torrent-files"] = false,
            ["units"] = new JsonObject
            {
                ["speed-units"] = new JsonArray("kB/s", "MB/s", "GB/s", "TB/s"),
                ["speed-bytes"] = 1000,
                ["size-units"] = new JsonArray("kB", "MB", "GB", "TB"),
                ["size-bytes"] = 1000,
                ["memory-units"] = new JsonArray("KiB", "MiB", "GiB", "TiB"),
                ["memory-bytes"] = 1024,
            },
            ["utp-enabled"] = false,
            ["version"] = Version,
        };

        TransmissionLimits.AddSessionFields(all, current);
        TransmissionQueue.AddSessionFields(all, current);

        // "fields" (RPC 16) narrows the answer; unknown names are left out.
        if (arguments.Strings("fields") is { Count: > 0 } fields)
        {
            var wanted = fields.ToHashSet(StringComparer.Ordinal);
            foreach (var key in all.Select(pair => pair.Key).Where(key => !wanted.Contains(key)).ToList())
            {
                all.Remove(key);
            }
        }

        return Task.FromResult(all);
    }

    /// <summary>Applies download-dir and the speed limits (all take effect at once); the rest is accepted and ignored (see <see cref="AppliedKeys"/>).</summary>
    public Task<JsonObject> SetAsync(TransmissionArguments arguments, CancellationToken cancellationToken)
    {
        // Read every value first, so a wrong one changes nothing.
        var directory = arguments.String("download-dir");
        var limits = TransmissionLimits.SessionChanges(arguments, settings.Current);
        var queueChanges = TransmissionQueue.SessionChanges(arguments, settings.Current);
        try
        {
            foreach (var (key, value) in queueChanges)
            {
                settings.Set(key, value);
            }

            if (!string.IsNullOrWhiteSpace(directory))
            {
                settings.Set(NodeSettingKeys.DownloadDirectory, directory);
            }

            foreach (var (key, value) in limits)
            {
                settings.Set(key, value);
            }
        }
        catch (NodeSettingsException ex)
        {
            throw new TransmissionFailure(ex.Message);
        }

        return Task.FromResult(new JsonObject());
    }

    public Task<JsonObject> StatsAsync(TransmissionArguments arguments, CancellationToken cancellationToken)
    {
        var all = ids.Sync(transfers.List()).Select(entry => entry.Transfer).ToList();
        var paused = all.Count(transfer => TorrentFields.Status(transfer.State) == TorrentFields.Stopped);
        var received = all.Sum(transfer => transfer.Progress.BytesReceived);
        var seconds = (long)runtime.Uptime.TotalSeconds;
        return Task.FromResult(new JsonObject
        {
            ["activeTorrentCount"] = all.Count - paused,
            ["downloadSpeed"] = (long)Math.Round(all.Sum(transfer => transfer.Progress.DownloadRate)),
            ["pausedTorrentCount"] = paused,
            ["torrentCount"] = all.Count,
            ["uploadSpeed"] = (long)Math.Round(all.Sum(transfer => transfer.Progress.UploadRate)),

            // The node counts bytes received per run and bytes sent over every run (the upload ledger).
            ["cumulative-stats"] = Stats(all.Sum(transfer => transfer.Progress.Uploaded), received, all.Count, seconds),
            ["current-stats"] = Stats(all.Sum(transfer => transfer.Progress.BytesSent ?? 0), received, all.Count, seconds),
        });
    }

    private static JsonObject Stats(long uploaded, long downloaded, int files, long seconds) => new()
    {
        ["uploadedBytes"] = uploaded,
        ["downloadedBytes"] = downloaded,
        ["filesAdded"] = files,
        ["sessionCount"] = 1,
        ["secondsActive"] = seconds,
    };

    private static long FreeSpace(string directory)
    {
        try
        {
            var existing = directory;
            while (!Directory.Exists(existing) && Path.GetDirectoryName(existing) is { } parent)
            {
                existing = parent;
            }

            return new DriveInfo(existing).AvailableFreeSpace;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return -1;
        }
    }
}
