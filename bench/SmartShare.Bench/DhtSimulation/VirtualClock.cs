using SmartShare.Kademlia.Simulation;

namespace SmartShare.Bench.DhtSimulation;

/// <summary>
/// Drives async node code to completion on the calling thread by moving the fake clock; no real time passes.
/// With no synchronization context, continuations run inline as the clock completes each request.
/// </summary>
internal static class VirtualClock
{
    public static T Run<T>(ManualTimeProvider clock, Func<Task<T>> start)
    {
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            var task = start();
            if (!clock.RunUntil(() => task.IsCompleted, TimeSpan.FromHours(2)))
            {
                throw new InvalidOperationException("A simulated operation did not finish within 2 h of virtual time.");
            }

            return task.GetAwaiter().GetResult();
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    public static void Run(ManualTimeProvider clock, Func<Task> start) =>
        Run(clock, async () =>
        {
            await start();
            return true;
        });

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
