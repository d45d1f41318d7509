using System.Net;
using SmartShare.Networking;

namespace SmartShare.Core.Tests.Networking;

public sealed class SourceRateLimiterTests
{
    private static readonly IPAddress A = IPAddress.Parse("10.0.0.1");
    private static readonly IPAddress B = IPAddress.Parse("10.0.0.2");

    [Fact]
    public void Allows_a_burst_then_refuses_and_counts_the_excess()
    {
        var limiter = new SourceRateLimiter(new SteppedTime(), datagramsPerSecond: 10, burst: 5, maxSources: 100);

        var accepted = Enumerable.Range(0, 8).Count(_ => limiter.TryAccept(A));

        Assert.Equal(5, accepted);
        Assert.Equal(3, limiter.Refused);
    }

    [Fact]
    public void Refills_at_the_steady_rate_as_time_passes()
    {
        var time = new SteppedTime();
        var limiter = new SourceRateLimiter(time, datagramsPerSecond: 10, burst: 5, maxSources: 100);
        for (var i = 0; i < 5; i++)
        {
            limiter.TryAccept(A);
        }

        Assert.False(limiter.TryAccept(A));
        time.Advance(TimeSpan.FromMilliseconds(300));

        Assert.Equal(3, Enumerable.Range(0, 5).Count(_ => limiter.TryAccept(A)));
    }

    [Fact]
    public void One_flooding_address_does_not_limit_another()
    {
        var limiter = new SourceRateLimiter(new SteppedTime(), datagramsPerSecond: 1, burst: 2, maxSources: 100);
        for (var i = 0; i < 100; i++)
        {
            limiter.TryAccept(A);
        }

        Assert.True(limiter.TryAccept(B));
        Assert.True(limiter.TryAccept(B));
    }

    [Fact]
    public void Tracks_at_most_the_given_number_of_addresses()
    {
        var limiter = new SourceRateLimiter(new SteppedTime(), datagramsPerSecond: 1, burst: 1, maxSources: 50);

        for (var i = 0; i < 10_000; i++)
        {
            limiter.TryAccept(new IPAddress(BitConverter.GetBytes(i)));
        }

        Assert.Equal(50, limiter.TrackedSources);
    }

    [Fact]
    public void The_least_recently_seen_address_is_forgotten_first()
    {
        var limiter = new SourceRateLimiter(new SteppedTime(), datagramsPerSecond: 1, burst: 1, maxSources: 2);
        limiter.TryAccept(A);
        limiter.TryAccept(B);
        Assert.False(limiter.TryAccept(A));

        limiter.TryAccept(IPAddress.Parse("10.0.0.3"));

        // B was least recently seen and is forgotten; A is still tracked and still out of tokens.
        Assert.False(limiter.TryAccept(A));
        Assert.True(limiter.TryAccept(B));
    }

    /// <summary>A clock that moves only when told to.</summary>
    private sealed class SteppedTime : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
