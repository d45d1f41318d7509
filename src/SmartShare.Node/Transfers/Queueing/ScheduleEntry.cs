namespace SmartShare.Node.Transfers.Queueing;

/// <summary>
/// What the queue keeps about one transfer: whether it waits for a slot, its own seeding goals, and why it stopped
/// seeding (a goal met). Its queue position is its place in the schedule; the time it has seeded over every run is
/// <see cref="TransferSchedule.SeedingTime"/> (a counter the round adds to, not a new entry every 2 s).
/// </summary>
/// <param name="StopGoal">The kind of goal that stopped it ("ratio", "time", "idle"), so a manual start can lift that goal.</param>
public sealed record ScheduleEntry(
    TransferKey Key,
    bool Waiting,
    SeedingGoalOverrides Goals,
    string? StopReason,
    string? StopGoal)
{
    public static ScheduleEntry New(TransferKey key) => new(key, false, SeedingGoalOverrides.None, null, null);
}
