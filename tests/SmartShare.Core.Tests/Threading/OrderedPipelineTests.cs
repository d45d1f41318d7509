using SmartShare.Threading;

namespace SmartShare.Core.Tests.Threading;

public sealed class OrderedPipelineTests
{
    [Fact]
    public async Task Completes_items_in_index_order_whatever_order_processing_finishes_in()
    {
        var completed = new List<long>();
        var random = new Random(7);
        var delays = Enumerable.Range(0, 40).Select(_ => random.Next(0, 15)).ToArray();

        await OrderedPipeline.RunAsync(
            40,
            window: 6,
            start: index => index,
            process: async (index, token) => await Task.Delay(delays[index], token),
            complete: (index, _) =>
            {
                completed.Add(index);
                return ValueTask.CompletedTask;
            },
            release: _ => { },
            CancellationToken.None);

        Assert.Equal(Enumerable.Range(0, 40).Select(i => (long)i), completed);
    }

    [Fact]
    public async Task Never_holds_more_items_than_the_window_and_releases_every_one()
    {
        var held = 0;
        var mostHeld = 0;
        var released = 0;

        await OrderedPipeline.RunAsync(
            100,
            window: 4,
            start: index =>
            {
                mostHeld = Math.Max(mostHeld, Interlocked.Increment(ref held));
                return index;
            },
            process: async (_, token) => await Task.Yield(),
            complete: (_, _) => ValueTask.CompletedTask,
            release: _ =>
            {
                Interlocked.Decrement(ref held);
                released++;
            },
            CancellationToken.None);

        Assert.Equal(4, mostHeld);
        Assert.Equal(100, released);
        Assert.Equal(0, held);
    }

    [Fact]
    public async Task Runs_processing_in_parallel()
    {
        var running = 0;
        var mostRunning = 0;
        using var enough = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var gate = new TaskCompletionSource();

        await OrderedPipeline.RunAsync(
            8,
            window: 4,
            start: index => index,
            process: async (_, token) =>
            {
                var now = Interlocked.Increment(ref running);
                InterlockedMax(ref mostRunning, now);
                if (now == 4)
                {
                    gate.TrySetResult();
                }

                // Waits on a condition (four at once), with a time limit, rather than on a guess of timing.
                await gate.Task.WaitAsync(token);
                Interlocked.Decrement(ref running);
            },
            complete: (_, _) => ValueTask.CompletedTask,
            release: _ => { },
            enough.Token);

        Assert.Equal(4, mostRunning);
    }

    [Fact]
    public async Task A_failing_item_stops_the_run_rethrows_and_releases_everything_started()
    {
        var started = 0;
        var released = 0;
        var completed = new List<long>();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => OrderedPipeline.RunAsync(
            1000,
            window: 3,
            start: index =>
            {
                Interlocked.Increment(ref started);
                return index;
            },
            process: (index, _) => index == 5 ? throw new InvalidOperationException("item 5") : ValueTask.CompletedTask,
            complete: (index, _) =>
            {
                completed.Add(index);
                return ValueTask.CompletedTask;
            },
            release: _ => Interlocked.Increment(ref released),
            CancellationToken.None));

        Assert.Equal("item 5", error.Message);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => (long)i), completed);
        Assert.Equal(started, released);
        Assert.True(started < 1000);
    }

    [Fact]
    public async Task Cancellation_stops_the_run_and_releases_everything_started()
    {
        using var cancel = new CancellationTokenSource();
        var started = 0;
        var released = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => OrderedPipeline.RunAsync(
            1000,
            window: 2,
            start: index =>
            {
                started++;
                return index;
            },
            process: (_, _) => ValueTask.CompletedTask,
            complete: (index, _) =>
            {
                if (index == 10)
                {
                    cancel.Cancel();
                }

                return ValueTask.CompletedTask;
            },
            release: _ => released++,
            cancel.Token));

        Assert.Equal(started, released);
        Assert.True(started < 20);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
