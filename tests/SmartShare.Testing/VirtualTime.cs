namespace SmartShare.Testing;

/// <summary>
/// Runs async node code to completion by advancing the fake clock, all on the calling thread: with no
/// synchronization context, continuations run inline as the clock completes each request. Shared by the
/// simulation tests and the DHT bench.
/// </summary>
public static class VirtualTime
{
    public static T Run<T>(ManualTimeProvider clock, Func<Task<T>> start, TimeSpan? limit = null)
    {
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(start);
        var previous = SynchronizationContext.Current;

        // Without a context, continuations run inline when the clock completes a request: one thread, no races.
        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            var task = start();
            if (!clock.RunUntil(() => task.IsCompleted, limit ?? TimeSpan.FromHours(2)))
            {
                throw new InvalidOperationException($"A simulated operation did not finish within {(limit ?? TimeSpan.FromHours(2)).TotalHours:0.#} h of virtual time.");
            }

            return task.GetAwaiter().GetResult();
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    public static void Run(ManualTimeProvider clock, Func<Task> start, TimeSpan? limit = null) =>
        Run(clock, async () =>
        {
            await start();
            return true;
        }, limit);

    public static void Advance(ManualTimeProvider clock, TimeSpan delta)
    {
        ArgumentNullException.ThrowIfNull(clock);
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            clock.Advance(delta);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }
}
