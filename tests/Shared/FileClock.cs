using System.Diagnostics;

namespace SmartShare.Tests.Shared;

/// <summary>
/// File times come from the kernel's coarse clock (a tick of up to 10 ms): a test that needs a change to get a later
/// time than the last one waits here first. Compiled into each test project that needs it (linked source).
/// </summary>
internal static class FileClock
{
    /// <summary>Waits (at most 5 s) until the wall clock is past <paramref name="utcTicks"/> by more than a tick.</summary>
    public static void WaitPast(long utcTicks)
    {
        var limit = Stopwatch.StartNew();
        while (DateTime.UtcNow.Ticks <= utcTicks + (20 * TimeSpan.TicksPerMillisecond))
        {
            if (limit.Elapsed > TimeSpan.FromSeconds(5))
            {
                throw new TimeoutException("The clock did not move past the file's time within 5 s.");
            }

            Thread.Sleep(5);
        }
    }
}
