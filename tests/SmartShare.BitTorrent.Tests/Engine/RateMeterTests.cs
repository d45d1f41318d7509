using Microsoft.Extensions.Time.Testing;
using SmartShare.BitTorrent.Engine;

namespace SmartShare.BitTorrent.Tests.Engine;

/// <summary>A rate meter on a fake clock: it follows a steady rate, and falls to 0 once nothing moved for its window.</summary>
public sealed class RateMeterTests
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);

    [Fact]
    public void A_steady_rate_is_followed_and_falls_to_zero_a_window_after_the_last_byte()
    {
        var time = new FakeTimeProvider();
        var meter = new RateMeter(windowSeconds: 5, time);

        // 100 KB every 100 ms (1 MB/s) for 20 s, read after each step as the progress snapshot does.
        for (var i = 0; i < 200; i++)
        {
            time.Advance(Step);
            meter.Add(100_000);
            _ = meter.Rate;
        }

        Assert.InRange(meter.Rate, 950_000, 1_050_000);
        Assert.Equal(20_000_000, meter.Total);

        // Silence, read every 100 ms: the average falls, and is 0 once 5 s have passed since the last byte (the average
        // alone was still about 370 KB/s there, and would have taken about 68 s to fall below 1 B/s).
        var rates = new List<double>();
        for (var i = 0; i < 50; i++)
        {
            time.Advance(Step);
            rates.Add(meter.Rate);
        }

        Assert.All(rates.Take(49), rate => Assert.True(rate > 1_000, $"{rate} B/s within the window"));
        Assert.Equal(0, rates[^1]);
        time.Advance(Step);
        Assert.Equal(0, meter.Rate);

        // Bytes again: the rate rises from 0.
        time.Advance(Step);
        meter.Add(100_000);
        Assert.True(meter.Rate > 0);
    }

    [Fact]
    public void A_read_after_a_long_pause_says_zero_and_a_byte_within_the_window_keeps_the_rate()
    {
        var time = new FakeTimeProvider();
        var meter = new RateMeter(windowSeconds: 5, time);
        time.Advance(TimeSpan.FromSeconds(1));
        meter.Add(1_000_000);
        Assert.True(meter.Rate > 0);

        // A byte every 4 s keeps it above 0 while read every 100 ms.
        for (var i = 0; i < 80; i++)
        {
            time.Advance(Step);
            if (i % 40 == 39)
            {
                meter.Add(1);
            }

            Assert.True(meter.Rate > 0, $"0 B/s {i + 1} steps in, with a byte every 4 s");
        }

        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(0, meter.Rate);
    }
}
