namespace SmartShare.Node.Transfers.Queueing;

/// <summary>
/// What the queue keeps about one transfer: whether it waits for a slot, its own seeding goals, the time it has
/// seeded over every run, and why it stopped seeding (a goal met). Its queue position is its place in the schedule.
/// </summary>
/// <param name="StopGoal">The kind of goal that stopped it ("ratio", "time", "idle"), so a manual start can lift that goal.</param>
public sealed record ScheduleEntry(
    TransferKey Key,
    bool Waiting,
    SeedingGoalOverrides Goals,
    long SeedingMilliseconds,
    string? StopReason,
    string? StopGoal)
{
    public static ScheduleEntry New(TransferKey key) => new(key, false, SeedingGoalOverrides.None, 0, null, null);
}
