using System.Text.Json.Nodes;

namespace SmartShare.Node.Transfers.Queueing;

/// <summary>What the queue says about a transfer in its view: its place, whether it waits and for what, the seeding goals in force and why it stopped.</summary>
/// <param name="QueuePosition">0 starts next; every transfer has one (Transmission's queuePosition).</param>
/// <param name="Waiting">"download" or "seed" while it waits for a slot, else null.</param>
public sealed record TransferScheduling(int QueuePosition, string? Waiting, SeedingGoals Goals, TimeSpan Seeding, string? StopReason)
{
    /// <summary>Adds queue_position, queued_for, seeding_goals, seeding_seconds and stop_reason to a transfer's JSON.</summary>
    public static void Write(JsonObject json, TransferScheduling? scheduling) => Write(json, scheduling is null ? null : RowScheduling.Of(scheduling));

    /// <summary>The same fields from a row's <see cref="RowScheduling"/>.</summary>
    public static void Write(JsonObject json, RowScheduling? row)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (row is not { } scheduling)
        {
            return;
        }

        var goals = scheduling.Goals;
        json["queue_position"] = scheduling.QueuePosition;
        json["queued_for"] = scheduling.Waiting;
        json["seeding_goals"] = new JsonObject
        {
            ["ratio"] = goals.Ratio > 0 ? goals.Ratio : null,
            ["seeding_time"] = goals.TimeMinutes > 0 ? goals.TimeMinutes : null,
            ["idle_time"] = goals.IdleMinutes > 0 ? goals.IdleMinutes : null,
            ["action"] = SeedingGoals.ActionName(goals.Action),
            ["own"] = new JsonArray([.. new (bool Own, string Name)[] { (goals.OwnRatio, "ratio"), (goals.OwnTime, "seeding_time"), (goals.OwnIdle, "idle_time"), (goals.OwnAction, "action") }
                .Where(goal => goal.Own).Select(goal => (JsonNode?)JsonValue.Create(goal.Name))]),
        };
        json["stop_reason"] = scheduling.StopReason;
    }

    /// <summary>
    /// Adds the seeding clock, which changes every second: only to a transfer's full view, never to the rows of the
    /// web UI's feed, which sends a row again whenever it changes.
    /// </summary>
    public static void WriteClock(JsonObject json, TransferScheduling? scheduling)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (scheduling is not null)
        {
            json["seeding_seconds"] = (long)scheduling.Seeding.TotalSeconds;
        }
    }
}
