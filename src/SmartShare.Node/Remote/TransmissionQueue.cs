using System.Text.Json;
using System.Text.Json.Nodes;
using SmartShare.Node.Settings;
using SmartShare.Node.Transfers;
using SmartShare.Node.Transfers.Queueing;

namespace SmartShare.Node.Remote;

/// <summary>
/// Transmission's queue and seeding-limit vocabulary over the node's: <c>queue-move-*</c>; torrent-set's
/// queuePosition, seedRatioLimit/Mode and seedIdleLimit/Mode (mode 0: the session's, 1: the torrent's, 2: none);
/// session-get/set's download-queue-*, seed-queue-*, seedRatioLimit(ed) and idle-seeding-limit(-enabled), which are
/// the node's max_active_downloads, max_active_seeds, seed_ratio_limit and seed_idle_limit (0 for off).
/// </summary>
internal static class TransmissionQueue
{
    /// <summary>The session-set keys this class applies.</summary>
    public static readonly IReadOnlyList<string> SessionKeys =
    [
        "download-queue-size", "download-queue-enabled", "seed-queue-size", "seed-queue-enabled",
        "seedRatioLimit", "seedRatioLimited", "idle-seeding-limit", "idle-seeding-limit-enabled",
    ];

    // Transmission's default queue size, for a queue turned on without a size.
    private const int DefaultQueueSize = 5;

    public static void AddSessionFields(JsonObject session, NodeSettings current)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(current);
        session["download-queue-enabled"] = current.MaxActiveDownloads > 0;
        session["download-queue-size"] = current.MaxActiveDownloads > 0 ? current.MaxActiveDownloads : DefaultQueueSize;
        session["seed-queue-enabled"] = current.MaxActiveSeeds > 0;
        session["seed-queue-size"] = current.MaxActiveSeeds > 0 ? current.MaxActiveSeeds : 10;
        session["seedRatioLimited"] = current.SeedRatioLimit > 0;
        session["seedRatioLimit"] = current.SeedRatioLimit > 0 ? current.SeedRatioLimit : 2.0;
        session["idle-seeding-limit-enabled"] = current.SeedIdleLimitMinutes > 0;
        session["idle-seeding-limit"] = current.SeedIdleLimitMinutes > 0 ? current.SeedIdleLimitMinutes : 30;
    }

    /// <summary>The node settings a session-set asks for, read and checked before any is written.</summary>
    public static List<(string Key, JsonNode Value)> SessionChanges(TransmissionArguments arguments, NodeSettings current)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(current);
        var changes = new List<(string, JsonNode)>();
        Limit(changes, NodeSettingKeys.MaxActiveDownloads, arguments.Integer("download-queue-size", 1, 10_000), arguments.Boolean("download-queue-enabled"), current.MaxActiveDownloads, DefaultQueueSize);
        Limit(changes, NodeSettingKeys.MaxActiveSeeds, arguments.Integer("seed-queue-size", 1, 10_000), arguments.Boolean("seed-queue-enabled"), current.MaxActiveSeeds, 10);
        Limit(changes, NodeSettingKeys.SeedIdleLimit, arguments.Integer("idle-seeding-limit", 1, 525_600), arguments.Boolean("idle-seeding-limit-enabled"), current.SeedIdleLimitMinutes, 30);
        var ratio = Ratio(arguments, "seedRatioLimit");
        switch (arguments.Boolean("seedRatioLimited"))
        {
            case false:
                changes.Add((NodeSettingKeys.SeedRatioLimit, JsonValue.Create(0.0)));
                break;
            case true:
                changes.Add((NodeSettingKeys.SeedRatioLimit, JsonValue.Create(ratio ?? (current.SeedRatioLimit > 0 ? current.SeedRatioLimit : 2.0))));
                break;
            case null when ratio is { } value && current.SeedRatioLimit > 0:
                changes.Add((NodeSettingKeys.SeedRatioLimit, JsonValue.Create(value)));
                break;
        }

        return changes;
    }

    /// <summary>queue-move-top/up/down/bottom over the selected transfers, keeping their order among themselves.</summary>
    public static void Move(TransferManager transfers, IReadOnlyList<Transfer> selected, QueueMoveKind kind)
    {
        var scheduler = Scheduler(transfers);
        var byPosition = selected.OrderBy(transfer => scheduler.Schedule.Position(transfer.Key) ?? int.MaxValue).ToList();

        // Moving to the top (or up) the last first would reverse them: top and down go from the back, bottom and up from the front.
        var ordered = kind is QueueMoveKind.Top or QueueMoveKind.Down ? Enumerable.Reverse(byPosition) : byPosition;
        foreach (var transfer in ordered)
        {
            scheduler.Move(transfer.Key, new QueueMove(kind));
        }
    }

    /// <summary>torrent-set's queuePosition and seeding limits; checked for every transfer before any changes.</summary>
    public static void ApplyTorrentSet(TransferManager transfers, IReadOnlyList<Transfer> selected, TransmissionArguments arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var position = arguments.Integer("queuePosition", 0, int.MaxValue);
        var ratio = Ratio(arguments, "seedRatioLimit");
        var ratioMode = arguments.Integer("seedRatioMode", 0, 2);
        var idle = arguments.Integer("seedIdleLimit", 0, 525_600);
        var idleMode = arguments.Integer("seedIdleMode", 0, 2);
        if (position is null && ratio is null && ratioMode is null && idle is null && idleMode is null)
        {
            return;
        }

        var scheduler = Scheduler(transfers);
        if ((ratio ?? ratioMode ?? idle ?? idleMode) is not null && selected.FirstOrDefault(t => t.Key.Network != TransferNetwork.Torrent) is { } stream)
        {
            throw new TransmissionFailure($"{stream.Name ?? stream.Key.Hash} is an LBRY stream: its blobs are served while it is listed, so seeding limits apply to torrents only.");
        }

        foreach (var transfer in selected)
        {
            if (position is { } to)
            {
                scheduler.Move(transfer.Key, new QueueMove(QueueMoveKind.Position, (int)Math.Min(to, int.MaxValue)));
            }

            if (transfer.Key.Network != TransferNetwork.Torrent || (ratio ?? ratioMode ?? idle ?? idleMode) is null)
            {
                continue;
            }

            var goals = scheduler.Schedule.Ensure(transfer.Key).Goals;
            scheduler.SetGoals(transfer.Key, goals with
            {
                Ratio = Mode(ratioMode, ratio, goals.Ratio),
                IdleMinutes = Mode(idleMode, idle is { } minutes ? (int)minutes : null, goals.IdleMinutes),
            });
        }
    }

    /// <summary>Transmission's seedRatioMode/seedIdleMode for a torrent: 0 the session's, 1 its own, 2 none.</summary>
    public static int RatioMode(Transfer transfer) => Mode(transfer.Scheduling?.Goals is { } goals ? (goals.OwnRatio, goals.Ratio) : (false, 0));

    public static int IdleMode(Transfer transfer) => Mode(transfer.Scheduling?.Goals is { } goals ? (goals.OwnIdle, goals.IdleMinutes) : (false, 0));

    private static int Mode((bool Own, double Value) goal) => !goal.Own ? 0 : goal.Value > 0 ? 1 : 2;

    // Mode 0: back to the session's; 2: none; 1 (or a limit alone): the torrent's own limit.
    private static T? Mode<T>(long? mode, T? limit, T? current)
        where T : struct => mode switch
        {
            0 => null,
            2 => default(T),
            1 => limit ?? current ?? throw new TransmissionFailure("seedRatioMode/seedIdleMode 1 (the torrent's own limit) needs seedRatioLimit/seedIdleLimit as well."),
            _ => limit ?? current,
        };

    private static void Limit(List<(string, JsonNode)> changes, string key, long? size, bool? enabled, int current, int fallback)
    {
        switch (enabled)
        {
            case false:
                changes.Add((key, JsonValue.Create(0)));
                break;
            case true:
                changes.Add((key, JsonValue.Create((int)(size ?? (current > 0 ? current : fallback)))));
                break;
            case null when size is { } value && current > 0:
                changes.Add((key, JsonValue.Create((int)value)));
                break;
        }
    }

    private static double? Ratio(TransmissionArguments arguments, string key) =>
        arguments.Node(key) switch
        {
            null => null,
            JsonValue value when value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<double>(out var ratio) && double.IsFinite(ratio) && ratio is >= 0 and <= 10_000 => ratio,
            _ => throw new TransmissionFailure($"The argument '{key}' must be a number from 0 to 10000."),
        };

    private static TransferScheduler Scheduler(TransferManager transfers) =>
        transfers.Queue ?? throw new TransmissionFailure("This node runs no transfer queue.");
}
