using System.Globalization;

namespace SmartShare.Node.Transfers.Queueing;

/// <summary>What a met seeding goal does to the torrent.</summary>
public enum SeedingGoalAction
{
    /// <summary>It stops seeding and stays listed, completed.</summary>
    Stop,

    /// <summary>It leaves the list; its files are kept.</summary>
    Remove,
}

/// <summary>
/// A transfer's own seeding goals, each overriding the node's setting: null means "the setting", 0 means "no limit for
/// this transfer" (Transmission's seedRatioMode 0, 2 and 1).
/// </summary>
public sealed record SeedingGoalOverrides(double? Ratio, int? TimeMinutes, int? IdleMinutes, SeedingGoalAction? Action)
{
    public static SeedingGoalOverrides None { get; } = new(null, null, null, null);

    public bool IsEmpty => Ratio is null && TimeMinutes is null && IdleMinutes is null && Action is null;
}

/// <summary>The goals in force for one torrent (0: no limit) and, for each, whether the transfer's own value set it.</summary>
public sealed record SeedingGoals(double Ratio, int TimeMinutes, int IdleMinutes, SeedingGoalAction Action, bool OwnRatio, bool OwnTime, bool OwnIdle, bool OwnAction)
{
    public static SeedingGoals Unlimited { get; } = new(0, 0, 0, SeedingGoalAction.Stop, false, false, false, false);

    public bool Any => Ratio > 0 || TimeMinutes > 0 || IdleMinutes > 0;

    /// <summary>
    /// The goals for a transfer: its own values where it has them, else the node's (<paramref name="global"/>) when
    /// <paramref name="globalApplies"/> (downloads; a share, the user's own content, seeds on unless given goals of its own).
    /// </summary>
    public static SeedingGoals Resolve(SeedingGoalOverrides own, SeedingGoals global, bool globalApplies)
    {
        ArgumentNullException.ThrowIfNull(own);
        ArgumentNullException.ThrowIfNull(global);
        return new SeedingGoals(
            own.Ratio ?? (globalApplies ? global.Ratio : 0),
            own.TimeMinutes ?? (globalApplies ? global.TimeMinutes : 0),
            own.IdleMinutes ?? (globalApplies ? global.IdleMinutes : 0),
            own.Action ?? global.Action,
            own.Ratio is not null,
            own.TimeMinutes is not null,
            own.IdleMinutes is not null,
            own.Action is not null);
    }

    /// <summary>The first goal met, as a kind ("ratio", "time", "idle") and a reason for people; null while none is.</summary>
    public (string Kind, string Reason)? Met(double? ratio, TimeSpan seeding, TimeSpan idle)
    {
        if (Ratio > 0 && ratio is { } reached && reached >= Ratio)
        {
            return ("ratio", $"ratio {FormatRatio(Ratio)} reached");
        }

        if (TimeMinutes > 0 && seeding >= TimeSpan.FromMinutes(TimeMinutes))
        {
            return ("time", $"seeding time {TimeMinutes} min reached");
        }

        if (IdleMinutes > 0 && idle >= TimeSpan.FromMinutes(IdleMinutes))
        {
            return ("idle", $"idle {IdleMinutes} min without uploading");
        }

        return null;
    }

    public static string FormatRatio(double ratio) => ratio.ToString("0.0##", CultureInfo.InvariantCulture);

    public static string ActionName(SeedingGoalAction action) => action == SeedingGoalAction.Remove ? "remove" : "stop";

    public static SeedingGoalAction ParseAction(string text) =>
        text.Trim().ToLowerInvariant() switch
        {
            "stop" => SeedingGoalAction.Stop,
            "remove" => SeedingGoalAction.Remove,
            _ => throw new FormatException($"A seeding goal's action must be stop or remove, not '{Sentences.Shorten(text)}'."),
        };
}
