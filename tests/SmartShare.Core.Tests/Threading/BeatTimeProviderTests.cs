using Microsoft.Extensions.Time.Testing;
using SmartShare.Threading;

namespace SmartShare.Core.Tests.Threading;

/// <summary>
/// Timers on a shared beat, over a fake clock: each fires at the first beat at or after its due time and never
/// before, a periodic one every whole number of beats, and thousands of them cost the inner clock one timer, which
/// stops when none is set.
/// </summary>
public sealed class BeatTimeProviderTests
{
    private static readonly TimeSpan Beat = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public void A_timer_fires_at_the_first_beat_at_or_after_its_due_time()
    {
        var time = new FakeTimeProvider();
        using var beat = new BeatTimeProvider(time, Beat);
        var fired = new List<TimeSpan>();
        var start = time.GetUtcNow();
        using var timer = beat.CreateTimer(_ => fired.Add(time.GetUtcNow() - start), null, TimeSpan.FromMilliseconds(250), Timeout.InfiniteTimeSpan);

        Step(time, 2);
        Assert.Empty(fired);
        Step(time, 1);
        Assert.Equal([TimeSpan.FromMilliseconds(300)], fired);

        // One-shot: nothing more.
        Step(time, 50);
        Assert.Single(fired);
    }

    [Fact]
    public void A_timer_set_between_beats_is_not_early()
    {
        var time = new FakeTimeProvider();
        using var beat = new BeatTimeProvider(time, Beat);
        using var first = beat.CreateTimer(_ => { }, null, TimeSpan.FromSeconds(10), Timeout.InfiniteTimeSpan);
        time.Advance(TimeSpan.FromMilliseconds(160)); // a beat at 100 ms; the next comes at 200 ms
        var fired = new List<TimeSpan>();
        var start = time.GetUtcNow();

        // Due 100 ms from now (260 ms): the beat at 200 ms is early, the one at 300 ms is the first at or after it.
        using var timer = beat.CreateTimer(_ => fired.Add(time.GetUtcNow() - start), null, Beat, Timeout.InfiniteTimeSpan);
        time.Advance(TimeSpan.FromMilliseconds(40));
        Assert.Empty(fired);
        time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal([TimeSpan.FromMilliseconds(140)], fired);
    }

    [Fact]
    public void A_periodic_timer_fires_every_whole_number_of_beats_and_change_moves_it()
    {
        var time = new FakeTimeProvider();
        using var beat = new BeatTimeProvider(time, Beat);
        var fired = new List<TimeSpan>();
        var start = time.GetUtcNow();
        using var timer = beat.CreateTimer(_ => fired.Add(time.GetUtcNow() - start), null, TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(250));

        Step(time, 20);
        Assert.Equal([1000, 1300, 1600, 1900], fired.Select(t => (int)t.TotalMilliseconds));

        // A new due time and period, from now (2 s); an infinite due time stops it.
        fired.Clear();
        Assert.True(timer.Change(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5)));
        Step(time, 120);
        Assert.Equal([7000, 12000], fired.Select(t => (int)t.TotalMilliseconds));
        Assert.True(timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan));
        Step(time, 100);
        Assert.Equal(2, fired.Count);
    }

    [Fact]
    public async Task Thousands_of_timers_take_one_timer_of_the_inner_clock_which_stops_when_none_is_set()
    {
        var time = new CountingTimeProvider();
        using var beat = new BeatTimeProvider(time, Beat);
        var fired = 0;
        var timers = new List<ITimer>();
        for (var i = 0; i < 1000; i++)
        {
            // Spread over a second, as the sessions' tick timers are.
            timers.Add(beat.CreateTimer(_ => Interlocked.Increment(ref fired), null, TimeSpan.FromMilliseconds(1000 + i), TimeSpan.FromSeconds(1)));
        }

        Assert.Equal(1, time.Created);
        time.Advance(TimeSpan.FromSeconds(2));
        await WaitAsync(() => Volatile.Read(ref fired) >= 1000, "every timer's first fire");
        time.Advance(TimeSpan.FromSeconds(1));
        await WaitAsync(() => Volatile.Read(ref fired) >= 2000, "every timer's second fire");
        Assert.Equal(1, time.Created);

        foreach (var timer in timers)
        {
            timer.Dispose();
        }

        Assert.Equal(0, time.Live);
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(2000, Volatile.Read(ref fired));

        // A timer set again starts the beat again.
        using var again = beat.CreateTimer(_ => Interlocked.Increment(ref fired), null, Beat, Timeout.InfiniteTimeSpan);
        Assert.Equal(1, time.Live);
        time.Advance(Beat);
        Assert.Equal(2001, Volatile.Read(ref fired));
        Assert.Equal(0, time.Live);
    }

    [Fact]
    public async Task A_periodic_timer_on_the_beat_ticks_at_its_period_and_at_a_new_one()
    {
        var time = new FakeTimeProvider();
        using var beat = new BeatTimeProvider(time, Beat);
        using var periodic = new PeriodicTimer(TimeSpan.FromSeconds(1), beat);
        var start = time.GetUtcNow();

        var tick = periodic.WaitForNextTickAsync().AsTask();
        Step(time, 9);
        Assert.False(tick.IsCompleted);
        Step(time, 1);
        Assert.True(await tick.WaitAsync(Patience));
        Assert.Equal(TimeSpan.FromSeconds(1), time.GetUtcNow() - start);

        periodic.Period = TimeSpan.FromSeconds(5);
        tick = periodic.WaitForNextTickAsync().AsTask();
        Step(time, 49);
        Assert.False(tick.IsCompleted);
        Step(time, 1);
        Assert.True(await tick.WaitAsync(Patience));
    }

    [Fact]
    public async Task A_disposed_timer_or_provider_fires_no_more()
    {
        var time = new FakeTimeProvider();
        var beat = new BeatTimeProvider(time, Beat);
        var fired = 0;
        var timer = beat.CreateTimer(_ => Interlocked.Increment(ref fired), null, Beat, Beat);
        var other = beat.CreateTimer(_ => Interlocked.Add(ref fired, 100), null, Beat, Beat);
        Step(time, 1);
        await WaitAsync(() => Volatile.Read(ref fired) == 101, "both timers' first fire");

        timer.Dispose();
        Assert.False(timer.Change(Beat, Beat));
        Step(time, 1);
        Assert.Equal(201, Volatile.Read(ref fired)); // the only timer due runs on the beat's own thread

        beat.Dispose();
        Step(time, 5);
        Assert.Equal(201, Volatile.Read(ref fired));
        Assert.False(other.Change(Beat, Beat));
    }

    // Moves the clock one beat at a time, as often as asked.
    private static void Step(FakeTimeProvider time, int beats)
    {
        for (var i = 0; i < beats; i++)
        {
            time.Advance(Beat);
        }
    }

    private static async Task WaitAsync(Func<bool> condition, string what)
    {
        using var limit = new CancellationTokenSource(Patience);
        while (!condition())
        {
            Assert.False(limit.IsCancellationRequested, $"Waited {Patience.TotalSeconds} s for {what}.");
            await Task.Delay(10, CancellationToken.None);
        }
    }

    // A fake clock that counts the timers made on it and those not yet disposed.
    private sealed class CountingTimeProvider : FakeTimeProvider
    {
        private int _live;

        public int Created { get; private set; }

        public int Live => Volatile.Read(ref _live);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Created++;
            Interlocked.Increment(ref _live);
            return new Counted(base.CreateTimer(callback, state, dueTime, period), this);
        }

        private sealed class Counted(ITimer inner, CountingTimeProvider owner) : ITimer
        {
            private int _disposed;

            public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(dueTime, period);

            public void Dispose()
            {
                if (Interlocked.Exchange(ref _disposed, 1) == 0)
                {
                    Interlocked.Decrement(ref owner._live);
                }

                inner.Dispose();
            }

            public ValueTask DisposeAsync()
            {
                Dispose();
                return ValueTask.CompletedTask;
            }
        }
    }
}
