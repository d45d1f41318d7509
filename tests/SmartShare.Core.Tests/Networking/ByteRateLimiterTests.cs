using SmartShare.Networking;

namespace SmartShare.Core.Tests.Networking;

public sealed class ByteRateLimiterTests
{
    [Fact]
    public void Unlimited_never_waits()
    {
        var limiter = new ByteRateLimiter(0, new SettableTime());

        Assert.Equal(TimeSpan.Zero, limiter.Reserve(long.MaxValue / 2));
        Assert.Equal(TimeSpan.Zero, limiter.Reserve(1 << 30));
    }

    [Fact]
    public void Spaces_transfers_at_the_rate_after_a_one_second_burst()
    {
        var time = new SettableTime();
        var limiter = new ByteRateLimiter(1000, time);

        Assert.Equal(TimeSpan.Zero, limiter.Reserve(1000));
        Assert.Equal(TimeSpan.Zero, limiter.Reserve(500));
        Assert.Equal(TimeSpan.FromSeconds(0.5), limiter.Reserve(2000));
        Assert.Equal(TimeSpan.FromSeconds(2.5), limiter.Reserve(1));
    }

    [Fact]
    public void Idle_time_builds_no_more_than_one_second_of_allowance()
    {
        var time = new SettableTime();
        var limiter = new ByteRateLimiter(1000, time);
        time.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(TimeSpan.Zero, limiter.Reserve(1000));
        Assert.Equal(TimeSpan.Zero, limiter.Reserve(1000));
        Assert.Equal(TimeSpan.FromSeconds(1), limiter.Reserve(1000));
    }

    [Fact]
    public void A_new_rate_applies_to_the_next_reservation()
    {
        var time = new SettableTime();
        var limiter = new ByteRateLimiter(1000, time);
        limiter.Reserve(2000);

        limiter.BytesPerSecond = 0;

        Assert.Equal(TimeSpan.Zero, limiter.Reserve(1_000_000));
    }

    private sealed class SettableTime : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
