using Microsoft.Extensions.Time.Testing;
using SmartShare.Threading;

namespace SmartShare.Core.Tests.Threading;

/// <summary>
/// A timer ended by its token: the loop's wait answers false, never an <see cref="OperationCanceledException"/> (whose
/// stack-trace text .NET builds at once, at a cost in every stop), and ticks before the cancellation are all seen.
/// </summary>
public sealed class PeriodicTimerStopTests
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_cancelled_token_ends_a_waiting_loop_with_false_after_the_ticks_before_it()
    {
        var time = new FakeTimeProvider();
        using var cancel = new CancellationTokenSource();
        using var timer = new PeriodicTimer(Period, time);
        using var stop = timer.DisposeOn(cancel.Token);
        var ticks = 0;
        var waited = new SemaphoreSlim(0);
        async Task<int> LoopAsync()
        {
            while (true)
            {
                var wait = timer.WaitForNextTickAsync(CancellationToken.None);
                waited.Release();
                if (!await wait)
                {
                    return ticks;
                }

                ticks++;
            }
        }

        var loop = LoopAsync();
        for (var i = 0; i < 3; i++)
        {
            Assert.True(await waited.WaitAsync(Patience));
            time.Advance(Period);
        }

        Assert.True(await waited.WaitAsync(Patience));
        await cancel.CancelAsync();

        // Ends, with no exception, having seen the three ticks.
        Assert.Equal(3, await loop.WaitAsync(Patience));
    }

    [Fact]
    public async Task A_token_cancelled_before_ends_the_first_wait()
    {
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();
        using var timer = new PeriodicTimer(Period, new FakeTimeProvider());
        using var stop = timer.DisposeOn(cancel.Token);

        Assert.False(await timer.WaitForNextTickAsync(CancellationToken.None).AsTask().WaitAsync(Patience));
    }
}
