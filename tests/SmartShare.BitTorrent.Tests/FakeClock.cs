using Microsoft.Extensions.Time.Testing;

namespace SmartShare.BitTorrent.Tests;

/// <summary>
/// Drives a <see cref="FakeTimeProvider"/> while real I/O runs: the code under test arms its timers only once it has
/// reached a point the test cannot see (after a socket read started, say), so the clock is moved in steps, with a
/// short real pause between them, until the awaited work ends.
/// </summary>
internal static class FakeClock
{
    private static readonly TimeSpan RealPause = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan RealLimit = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan LastGrace = TimeSpan.FromSeconds(2);

    /// <summary>Advances <paramref name="time"/> by <paramref name="step"/> at a time until <paramref name="work"/> ends; returns how far it moved.</summary>
    public static async Task<TimeSpan> AdvanceUntilAsync(this FakeTimeProvider time, Task work, TimeSpan step, TimeSpan? atMost = null)
    {
        var start = time.GetUtcNow();
        var limit = atMost ?? TimeSpan.FromHours(1);
        using var real = new CancellationTokenSource(RealLimit);
        while (!work.IsCompleted)
        {
            var moved = time.GetUtcNow() - start;
            if (moved >= limit || real.IsCancellationRequested)
            {
                // Work that fell due on the last step may still be on its way through the thread pool.
                await Task.WhenAny(work, Task.Delay(LastGrace, CancellationToken.None));
                if (work.IsCompleted)
                {
                    break;
                }

                throw new TimeoutException($"The work did not end after {moved.TotalSeconds:0.###} s of fake time.");
            }

            time.Advance(step);
            await Task.WhenAny(work, Task.Delay(RealPause, CancellationToken.None));
        }

        return time.GetUtcNow() - start;
    }

    /// <summary>Advances <paramref name="time"/> by <paramref name="total"/> in steps of <paramref name="step"/>, letting real work run between them.</summary>
    public static async Task AdvanceInStepsAsync(this FakeTimeProvider time, TimeSpan total, TimeSpan step)
    {
        for (var moved = TimeSpan.Zero; moved < total; moved += step)
        {
            time.Advance(step < total - moved ? step : total - moved);
            await Task.Delay(RealPause, CancellationToken.None);
        }
    }
}
