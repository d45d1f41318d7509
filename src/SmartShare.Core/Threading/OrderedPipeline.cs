namespace SmartShare.Threading;

/// <summary>
/// Runs a CPU-heavy step on many items at once while keeping the order of the cheap steps around it:
/// <c>start</c> and <c>complete</c> see items strictly in index order on one logical thread,
/// <c>process</c> runs on the thread pool for up to <c>window</c> items at a time.
/// The window bounds memory: an item holds its buffers from <c>start</c> until <c>release</c>.
/// </summary>
public static class OrderedPipeline
{
    public static async Task RunAsync<TItem>(
        long count,
        int window,
        Func<long, TItem> start,
        Func<TItem, CancellationToken, ValueTask> process,
        Func<TItem, CancellationToken, ValueTask> complete,
        Action<TItem> release,
        CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(process);
        ArgumentNullException.ThrowIfNull(complete);
        ArgumentNullException.ThrowIfNull(release);

        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = failed.Token;
        var inFlight = new Queue<(TItem Item, Task Work)>(window);
        try
        {
            for (long index = 0; index < count; index++)
            {
                if (inFlight.Count == window)
                {
                    await CompleteOldestAsync(inFlight, complete, release, token);
                }

                token.ThrowIfCancellationRequested();
                var item = start(index);
                inFlight.Enqueue((item, Task.Run(() => process(item, token).AsTask(), token)));
            }

            while (inFlight.Count > 0)
            {
                await CompleteOldestAsync(inFlight, complete, release, token);
            }
        }
        catch
        {
            await failed.CancelAsync();
            while (inFlight.Count > 0)
            {
                var (item, work) = inFlight.Dequeue();
                try
                {
                    await work;
                }
#pragma warning disable CA1031 // The first failure is rethrown below; later ones are consequences of cancelling.
                catch
#pragma warning restore CA1031
                {
                }

                release(item);
            }

            throw;
        }
    }

    private static async Task CompleteOldestAsync<TItem>(
        Queue<(TItem Item, Task Work)> inFlight,
        Func<TItem, CancellationToken, ValueTask> complete,
        Action<TItem> release,
        CancellationToken token)
    {
        var (item, work) = inFlight.Dequeue();
        try
        {
            await work;
            await complete(item, token);
        }
        finally
        {
            release(item);
        }
    }
}
