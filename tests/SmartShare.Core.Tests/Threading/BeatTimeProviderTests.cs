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
    public async Task Long_waits_begun_at_different_moments_end_together_at_most_a_sixteenth_late()
    {
        var time = new FakeTimeProvider();
        using var beat = new BeatTimeProvider(time, Beat);
        var start = time.GetUtcNow();
        var fired = new List<(int Timer, long Ms)>();
        var timers = new List<ITimer>();

        // Ten periodic 30 s timers set 100 ms apart, as idle seeds' ticks are, and one of 1 s beside them.
        for (var i = 0; i < 10; i++)
        {
            var index = i;
            timers.Add(beat.CreateTimer(_ => Note(index), null, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30)));
            await StepSettledAsync(1);
        }

        timers.Add(beat.CreateTimer(_ => Note(10), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)));
        await StepSettledAsync(990);
        foreach (var timer in timers)
        {
            timer.Dispose();
        }

        // 300 beats: a grid of 16 beats (1.6 s). The ten long timers fire in two beats, not in ten.
        List<(int Timer, long Ms)> all;
        lock (fired)
        {
            all = [.. fired];
        }

        var longFires = all.Where(fire => fire.Timer < 10).ToList();
        Assert.Equal(30, longFires.Count);
        Assert.All(longFires, fire => Assert.Equal(0, fire.Ms % 1600));
        Assert.Equal([30_400, 32_000], longFires.Take(10).Select(fire => fire.Ms).Distinct());
        for (var i = 0; i < 10; i++)
        {
            var times = longFires.Where(fire => fire.Timer == i).Select(fire => fire.Ms).ToList();
            Assert.InRange(times[0] - (i * 100), 30_000, 30_000 + (30_000 / 16));
            Assert.All(times.Zip(times.Skip(1)), pair => Assert.InRange(pair.Second - pair.First, 30_000 - 1600, 30_000 + 1600));
        }

        // The short one keeps its exact period: every second from 2 s to 100 s.
        Assert.Equal(Enumerable.Range(2, 99).Select(second => second * 1000L), all.Where(fire => fire.Timer == 10).Select(fire => fire.Ms));

        void Note(int timer)
        {
            lock (fired)
            {
                fired.Add((timer, (long)(time.GetUtcNow() - start).TotalMilliseconds));
            }
        }

        // One beat at a time, each once every callback it fired has run (so each notes the time it fired at).
        async Task StepSettledAsync(int beats)
        {
            for (var i = 0; i < beats; i++)
            {
                time.Advance(Beat);
                var dispatched = beat.Dispatched;
                await WaitAsync(
                    () =>
                    {
                        lock (fired)
                        {
                            return fired.Count >= dispatched;
                        }
                    },
                    "the beat's callbacks");
            }
        }
    }

    [Fact]
    public void The_inner_timer_wakes_only_for_beats_a_timer_is_due_at_and_an_early_wake_counts_as_its_beat()
    {
        // The inner clock's timers fire 4 ms before they are due, as the runtime's do on its coarse clock.
        var time = new EarlyTimeProvider(TimeSpan.FromMilliseconds(4));
        using var beat = new BeatTimeProvider(time, Beat);
        var start = time.GetUtcNow();
        var fired = new List<long>();
        using var slow = beat.CreateTimer(_ => fired.Add((long)(time.GetUtcNow() - start).TotalMilliseconds), null, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30));

        // Two fires in 61 s (30.4 s, 60.8 s, each 4 ms early), and the inner timer woke for those two only.
        StepMs(time, 61_000);
        Assert.Equal([30_396, 60_796], fired);
        Assert.Equal(2, time.Fires);

        // A timer due sooner than the one the inner timer waits for wakes it sooner.
        using var soon = beat.CreateTimer(_ => fired.Add(-(long)(time.GetUtcNow() - start).TotalMilliseconds), null, TimeSpan.FromMilliseconds(250), Timeout.InfiniteTimeSpan);
        StepMs(time, 400);
        Assert.Equal([30_396, 60_796, -61_296], fired);
        Assert.Equal(3, time.Fires);
    }

    [Theory]
    [InlineData(1, 1, 1)] // a wait under 32 beats: every beat
    [InlineData(36, 31, 36)]
    [InlineData(37, 32, 38)] // 32 / 16: a grid of 2
    [InlineData(161, 160, 168)] // 160 / 16 = 10: a grid of 8
    [InlineData(303, 300, 304)] // 300 / 16 = 18: a grid of 16
    [InlineData(304, 300, 304)]
    [InlineData(604, 300, 608)]
    public void A_wait_ends_at_the_first_beat_on_its_grid_at_or_after_its_due_beat(long due, long beats, long expected) =>
        Assert.Equal(expected, BeatTimeProvider.OnGrid(due, beats));

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

    // Moves the clock a millisecond at a time.
    private static void StepMs(FakeTimeProvider time, int milliseconds)
    {
        for (var i = 0; i < milliseconds; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(1));
        }
    }

    // A fake clock whose timers fire `early` before they are due, counting how often they fire.
    private sealed class EarlyTimeProvider(TimeSpan early) : FakeTimeProvider
    {
        private int _fires;

        public int Fires => Volatile.Read(ref _fires);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Assert.Equal(Timeout.InfiniteTimeSpan, period);
            return new Early(this, base.CreateTimer(s => { Interlocked.Increment(ref _fires); callback(s); }, state, Earlier(dueTime), period));
        }

        private TimeSpan Earlier(TimeSpan dueTime) => dueTime == Timeout.InfiniteTimeSpan ? dueTime : dueTime > early ? dueTime - early : TimeSpan.Zero;

        private sealed class Early(EarlyTimeProvider owner, ITimer inner) : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(owner.Earlier(dueTime), period);

            public void Dispose() => inner.Dispose();

            public ValueTask DisposeAsync() => inner.DisposeAsync();
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
