using Microsoft.Extensions.Time.Testing;
using SmartShare.Threading;

namespace SmartShare.Core.Tests.Threading;

public sealed class TimeLimitTests
{
    [Fact]
    public void Expires_when_its_clock_passes_the_limit_and_not_before()
    {
        var time = new FakeTimeProvider();
        using var limit = new TimeLimit(TimeSpan.FromSeconds(10), time, CancellationToken.None);

        time.Advance(TimeSpan.FromSeconds(9));
        Assert.False(limit.Token.IsCancellationRequested);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(limit.Token.IsCancellationRequested);
        Assert.True(limit.Expired);
    }

    [Fact]
    public void The_callers_cancellation_cancels_it_without_counting_as_expiry()
    {
        var time = new FakeTimeProvider();
        using var caller = new CancellationTokenSource();
        using var limit = new TimeLimit(TimeSpan.FromSeconds(10), time, caller.Token);

        caller.Cancel();

        Assert.True(limit.Token.IsCancellationRequested);
        Assert.False(limit.Expired);
    }

    [Fact]
    public void An_already_cancelled_caller_token_cancels_it_at_once()
    {
        using var limit = new TimeLimit(TimeSpan.FromSeconds(10), new FakeTimeProvider(), new CancellationToken(canceled: true));
        Assert.True(limit.Token.IsCancellationRequested);
    }

    [Fact]
    public void Restart_counts_the_limit_again_from_now_and_stop_lifts_it()
    {
        var time = new FakeTimeProvider();
        using var limit = new TimeLimit(TimeSpan.FromSeconds(10), time, CancellationToken.None);

        time.Advance(TimeSpan.FromSeconds(8));
        limit.Restart(TimeSpan.FromSeconds(10));
        time.Advance(TimeSpan.FromSeconds(8));
        Assert.False(limit.Token.IsCancellationRequested);

        limit.Stop();
        time.Advance(TimeSpan.FromHours(1));
        Assert.False(limit.Token.IsCancellationRequested);
    }

    [Fact]
    public void An_infinite_limit_never_expires()
    {
        var time = new FakeTimeProvider();
        using var limit = new TimeLimit(Timeout.InfiniteTimeSpan, time, CancellationToken.None);
        time.Advance(TimeSpan.FromDays(365));
        Assert.False(limit.Token.IsCancellationRequested);
    }
}
