using SmartShare.Cli.Commands;

namespace SmartShare.Cli.Tests.Commands;

public sealed class FollowPaceTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    private static TimeSpan Ms(double milliseconds) => TimeSpan.FromMilliseconds(milliseconds);

    [Fact]
    public void A_transfer_with_no_rate_yet_is_polled_quickly_only_in_its_first_moments()
    {
        var pace = new FollowPace(Interval);
        Assert.Equal(FollowPace.Quick, pace.Next(Ms(0), 0, 1000));
        Assert.Equal(FollowPace.Quick, pace.Next(Ms(150), 0, 1000));
        Assert.Equal(Interval, pace.Next(Ms(250), 0, 1000));
    }

    [Fact]
    public void A_long_transfer_is_polled_at_the_interval()
    {
        var pace = new FollowPace(Interval);
        pace.Next(Ms(0), 0, 1_000_000);
        Assert.Equal(Interval, pace.Next(Ms(100), 1_000, 1_000_000));
        Assert.Equal(Interval, pace.Next(Ms(400), 4_000, 1_000_000));
    }

    [Fact]
    public void The_poll_after_the_rate_says_it_ends_comes_at_that_moment()
    {
        var pace = new FollowPace(Interval);
        pace.Next(Ms(1000), 0, 10_000);

        // 6,000 bytes in 100 ms: the 4,000 left take about 67 ms.
        var next = pace.Next(Ms(1100), 6_000, 10_000);
        Assert.InRange(next.TotalMilliseconds, 66, 67);

        // Almost done: never sooner than Quick.
        Assert.Equal(FollowPace.Quick, pace.Next(Ms(1167), 9_999, 10_000));
    }

    [Fact]
    public void Every_byte_in_is_polled_quickly_for_a_while_then_at_the_interval()
    {
        var pace = new FollowPace(Interval);
        pace.Next(Ms(0), 0, 10);
        Assert.Equal(FollowPace.Quick, pace.Next(Ms(5000), 10, 10));
        Assert.Equal(FollowPace.Quick, pace.Next(Ms(5190), 10, 10));
        Assert.Equal(Interval, pace.Next(Ms(5200), 10, 10));
    }

    [Fact]
    public void No_progress_or_an_unknown_size_after_the_first_moments_keeps_the_interval()
    {
        var pace = new FollowPace(Interval);
        pace.Next(Ms(0), 0, 0);
        Assert.Equal(Interval, pace.Next(Ms(300), 0, 0));
        Assert.Equal(Interval, pace.Next(Ms(400), 500, 1000));
        Assert.Equal(Interval, pace.Next(Ms(500), 500, 1000));
    }
}
