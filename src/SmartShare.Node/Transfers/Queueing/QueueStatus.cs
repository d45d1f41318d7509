using System.Text.Json.Nodes;
using SmartShare.Node.Hosting;
using SmartShare.Node.Settings;

namespace SmartShare.Node.Transfers.Queueing;

/// <summary>The <c>queue</c> section of <c>status</c>: the limits and goals in force, and how many transfers run and wait.</summary>
internal sealed class QueueStatus(TransferManager transfers, NodeSettingsStore settings) : IStatusContributor
{
    public string Section => "queue";

    public JsonNode? Describe()
    {
        var current = settings.Current;
        var all = transfers.List();
        return new JsonObject
        {
            ["max_active_downloads"] = current.MaxActiveDownloads,
            ["max_active_seeds"] = current.MaxActiveSeeds,
            // A waiting transfer shows as Queued, which the networks use for a download about to begin: not counted.
            ["downloading"] = all.Count(t => t.Scheduling?.Waiting is null && TransferScheduler.IsActiveDownload(TransferStatus.Of(t))),
            ["seeding"] = all.Count(t => t.Scheduling?.Waiting is null && TransferScheduler.IsActiveSeed(TransferStatus.Of(t))),
            ["queued_to_download"] = all.Count(t => t.Scheduling?.Waiting == "download"),
            ["queued_to_seed"] = all.Count(t => t.Scheduling?.Waiting == "seed"),
            ["stopped_by_goal"] = all.Count(t => t.State == TransferState.Completed && t.Scheduling?.StopReason is not null),
            ["seed_ratio_limit"] = current.SeedRatioLimit,
            ["seed_time_limit"] = current.SeedTimeLimitMinutes,
            ["seed_idle_limit"] = current.SeedIdleLimitMinutes,
            ["seed_goal_action"] = current.SeedGoalAction,
            ["watch_dir"] = current.WatchDirectory.Length == 0 ? null : current.WatchDirectory,
        };
    }
}
