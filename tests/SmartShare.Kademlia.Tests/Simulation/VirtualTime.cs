using SmartShare.Kademlia.Simulation;

namespace SmartShare.Kademlia.Tests.Simulation;

/// <summary>Runs async node code to completion by advancing the fake clock, all on the calling thread.</summary>
internal static class VirtualTime
{
    public static T Run<T>(ManualTimeProvider clock, Func<Task<T>> start, TimeSpan? limit = null)
    {
        var previous = SynchronizationContext.Current;

        // Without a context, continuations run inline when the clock completes a request: one thread, no races.
        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            var task = start();
            if (!clock.RunUntil(() => task.IsCompleted, limit ?? TimeSpan.FromHours(2)))
            {
                throw new InvalidOperationException("The operation did not finish in virtual time.");
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
