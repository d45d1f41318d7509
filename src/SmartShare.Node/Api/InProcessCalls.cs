namespace SmartShare.Node.Api;

/// <summary>
/// The in-process API's calls still running (<see cref="InProcessApiHandler"/>), so the node's stop waits for them as
/// Kestrel waits for its requests: a call whose caller gave up (Ctrl-C) ends on its own cancelled token, and its
/// clean-up (a share's staged blob files) must be done before the process exits.
/// </summary>
internal sealed class InProcessCalls
{
    private readonly Lock _lock = new();
    private readonly HashSet<Task> _running = [];

    /// <summary>Notes <paramref name="call"/> until it ends, and returns it.</summary>
    public Task<T> Track<T>(Task<T> call)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (call.IsCompleted)
        {
            return call;
        }

        lock (_lock)
        {
            _running.Add(call);
        }

        call.ContinueWith(
            (ended, state) =>
            {
                var calls = (InProcessCalls)state!;
                lock (calls._lock)
                {
                    calls._running.Remove(ended);
                }
            },
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return call;
    }

    /// <summary>Completes when every call running now has ended, or throws when <paramref name="cancellationToken"/> fires first.</summary>
    public Task WhenAllEndedAsync(CancellationToken cancellationToken)
    {
        Task[] running;
        lock (_lock)
        {
            running = [.. _running];
        }

        return running.Length == 0 ? Task.CompletedTask : Task.WhenAll(running).WaitAsync(cancellationToken);
    }
}
