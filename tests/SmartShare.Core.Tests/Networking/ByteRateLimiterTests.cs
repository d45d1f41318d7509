using Microsoft.Extensions.Time.Testing;
using SmartShare.Networking;

namespace SmartShare.Core.Tests.Networking;

// The fake clock fires the limiter's timer inside Advance, and a waiter's task completes there too (its
// continuations run later), so each test steps the clock and looks at which tasks have completed.
public sealed class ByteRateLimiterTests
{
    private const long Chunk = 16 * 1024;
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(10);

    [Fact]
    public void Unlimited_never_waits()
    {
        using var limiter = new ByteRateLimiter(0, new FakeTimeProvider());

        Assert.True(limiter.WaitAsync(long.MaxValue / 2, CancellationToken.None).AsTask().IsCompletedSuccessfully);
        Assert.True(limiter.WaitAsync(1 << 30, CancellationToken.None).AsTask().IsCompletedSuccessfully);
        Assert.True(limiter.IsUnlimited);
    }

    [Fact]
    public void Passes_bytes_at_the_rate_after_one_quarter_second_burst()
    {
        var time = new FakeTimeProvider();
        using var limiter = new ByteRateLimiter(1024 * 1024, time);

        var passed = Run(time, TimeSpan.FromSeconds(10), new Source(limiter));

        var expected = (10 * 1024 * 1024) + (256 * 1024);
        Assert.InRange(passed, expected - (2 * Chunk), expected + Chunk);
    }

    [Fact]
    public void Idle_time_builds_no_more_than_the_burst()
    {
        var time = new FakeTimeProvider();
        using var limiter = new ByteRateLimiter(1024 * 1024, time);
        time.Advance(TimeSpan.FromMinutes(5));

        long immediate = 0;
        while (limiter.WaitAsync(Chunk, CancellationToken.None).AsTask().IsCompletedSuccessfully)
        {
            immediate += Chunk;
        }

        Assert.Equal(256 * 1024, immediate);
    }

    [Fact]
    public void A_request_larger_than_the_burst_passes_and_later_ones_pay_its_debt()
    {
        var time = new FakeTimeProvider();
        using var limiter = new ByteRateLimiter(100 * 1024, time);

        Assert.True(limiter.WaitAsync(2 * 1024 * 1024, CancellationToken.None).AsTask().IsCompletedSuccessfully);
        var next = limiter.WaitAsync(Chunk, CancellationToken.None).AsTask();

        // 2 MiB less the 25 KiB burst is owed, plus 16 KiB for the next chunk: 20.4 s at 100 KiB/s.
        Advance(time, TimeSpan.FromSeconds(20.2));
        Assert.False(next.IsCompleted);
        Advance(time, TimeSpan.FromSeconds(0.4));
        Assert.True(next.IsCompletedSuccessfully);
    }

    [Fact]
    public void Waiters_are_served_first_come_first_served()
    {
        var time = new FakeTimeProvider();
        using var limiter = new ByteRateLimiter(256 * 1024, time);
        DrainBurst(limiter);

        // The one byte asked second could pass long before the 64 KiB asked first, but waits its turn.
        var big = limiter.WaitAsync(4 * Chunk, CancellationToken.None).AsTask();
        var small = limiter.WaitAsync(1, CancellationToken.None).AsTask();

        Advance(time, TimeSpan.FromSeconds(0.2));
        Assert.False(small.IsCompleted);
        Assert.False(big.IsCompleted);
        Advance(time, TimeSpan.FromSeconds(0.1));
        Assert.True(big.IsCompletedSuccessfully);
        Assert.True(small.IsCompletedSuccessfully);
    }

    [Fact]
    public void Slices_of_an_earlier_ticket_go_before_those_of_a_later_one()
    {
        var time = new FakeTimeProvider();
        using var limiter = new ByteRateLimiter(64 * 1024, time);
        DrainBurst(limiter);
        var earlier = ByteRateLimiter.NextTicket();
        var later = ByteRateLimiter.NextTicket();

        // The later blob's slice asks first, yet the earlier blob's slice is served first.
        var second = limiter.WaitAsync(Chunk, later, CancellationToken.None).AsTask();
        var first = limiter.WaitAsync(Chunk, earlier, CancellationToken.None).AsTask();

        Advance(time, TimeSpan.FromSeconds(0.3));
        Assert.True(first.IsCompletedSuccessfully);
        Assert.False(second.IsCompleted);
        Advance(time, TimeSpan.FromSeconds(0.3));
        Assert.True(second.IsCompletedSuccessfully);
    }

    [Fact]
    public void Two_steady_senders_share_the_rate_evenly()
    {
        var time = new FakeTimeProvider();
        using var limiter = new ByteRateLimiter(1024 * 1024, time);
        DrainBurst(limiter);
        var first = new Source(limiter);
        var second = new Source(limiter);

        Run(time, TimeSpan.FromSeconds(10), first, second);

        Assert.InRange(first.Passed, second.Passed - (2 * Chunk), second.Passed + (2 * Chunk));
        Assert.InRange(first.Passed + second.Passed, (10 * 1024 * 1024) - (2 * Chunk), (10 * 1024 * 1024) + (2 * Chunk));
    }

    [Fact]
    public void A_lowered_live_setting_applies_within_the_recheck_interval()
    {
        var time = new FakeTimeProvider();
        long setting = 4 * 1024 * 1024;
        using var limiter = new ByteRateLimiter(() => Volatile.Read(ref setting), time);
        var source = new Source(limiter);
        Run(time, TimeSpan.FromSeconds(2), source);

        Volatile.Write(ref setting, 512 * 1024);
        Run(time, ByteRateLimiter.RecheckInterval, source);
        var before = source.Passed;
        Run(time, TimeSpan.FromSeconds(4), source);

        var expected = 4 * 512 * 1024;
        Assert.InRange(source.Passed - before, expected - (2 * Chunk), expected + (2 * Chunk));
    }

    [Fact]
    public void A_raised_live_setting_releases_waiters_within_the_recheck_interval()
    {
        var time = new FakeTimeProvider();
        long setting = 1024;
        using var limiter = new ByteRateLimiter(() => Volatile.Read(ref setting), time);
        DrainBurst(limiter);
        var waiters = Enumerable.Range(0, 50).Select(_ => limiter.WaitAsync(Chunk, CancellationToken.None).AsTask()).ToList();

        Volatile.Write(ref setting, 0);
        Advance(time, ByteRateLimiter.RecheckInterval);

        Assert.All(waiters, waiter => Assert.True(waiter.IsCompletedSuccessfully));
    }

    [Fact]
    public void A_chained_limiter_passes_bytes_at_the_lower_of_its_rate_and_its_parents()
    {
        var time = new FakeTimeProvider();
        using var node = new ByteRateLimiter(1024 * 1024, time);
        using var slow = new ByteRateLimiter(256 * 1024, time, node);
        using var fast = new ByteRateLimiter(8 * 1024 * 1024, time, node);
        var slowSource = new Source(slow);
        var fastSource = new Source(fast);

        Run(time, TimeSpan.FromSeconds(10), slowSource, fastSource);

        // The slow transfer keeps to its own limit; the fast one gets what the node's limit leaves.
        Assert.InRange(slowSource.Passed, (10 * 256 * 1024) - (2 * Chunk), (10 * 256 * 1024) + (64 * 1024) + (2 * Chunk));
        var total = slowSource.Passed + fastSource.Passed;
        Assert.InRange(total, (10 * 1024 * 1024) - (4 * Chunk), (10 * 1024 * 1024) + (256 * 1024) + (4 * Chunk));
    }

    [Fact]
    public void A_cancelled_waiter_leaves_the_queue_and_the_next_goes_on()
    {
        var time = new FakeTimeProvider();
        using var limiter = new ByteRateLimiter(64 * 1024, time);
        DrainBurst(limiter);
        using var cancel = new CancellationTokenSource();
        var cancelled = limiter.WaitAsync(4 * Chunk, cancel.Token).AsTask();
        var next = limiter.WaitAsync(Chunk, CancellationToken.None).AsTask();

        cancel.Cancel();
        Advance(time, TimeSpan.FromSeconds(0.3));

        Assert.True(cancelled.IsCanceled);
        Assert.True(next.IsCompletedSuccessfully);
        Assert.Equal(0, limiter.Waiting);
    }

    [Fact]
    public void Disposing_fails_the_waiters()
    {
        var time = new FakeTimeProvider();
        var limiter = new ByteRateLimiter(1024, time);
        DrainBurst(limiter);
        var waiter = limiter.WaitAsync(Chunk, CancellationToken.None).AsTask();

        limiter.Dispose();

        Assert.IsType<ObjectDisposedException>(waiter.Exception?.InnerException);
    }

    // Takes what the bucket holds, leaving nobody queued.
    private static void DrainBurst(ByteRateLimiter limiter)
    {
        using var stop = new CancellationTokenSource();
        Task last;
        while ((last = limiter.WaitAsync(1024, stop.Token).AsTask()).IsCompletedSuccessfully)
        {
        }

        stop.Cancel();
        Assert.True(last.IsCanceled);
        Assert.Equal(0, limiter.Waiting);
    }

    private static void Advance(FakeTimeProvider time, TimeSpan by)
    {
        for (var done = TimeSpan.Zero; done < by; done += Step)
        {
            time.Advance(Step);
        }
    }

    // Steps the clock for a while; each source asks for its next chunk as soon as its last one passed.
    private static long Run(FakeTimeProvider time, TimeSpan duration, params Source[] sources)
    {
        for (var done = TimeSpan.Zero; ; done += Step)
        {
            // Whoever asks first in a step changes each step, as the order of real continuations varies.
            for (var i = 0; i < sources.Length; i++)
            {
                sources[(i + (int)(done / Step)) % sources.Length].Pump();
            }

            if (done >= duration)
            {
                break;
            }

            time.Advance(Step);
        }

        return sources.Sum(source => source.Passed);
    }

    private sealed class Source(ByteRateLimiter limiter)
    {
        private Task? _pending;

        public long Passed { get; private set; }

        public void Pump()
        {
            while (true)
            {
                if (_pending is not null)
                {
                    if (!_pending.IsCompleted)
                    {
                        return;
                    }

                    Passed += Chunk;
                }

                _pending = limiter.WaitAsync(Chunk, CancellationToken.None).AsTask();
            }
        }
    }
}
