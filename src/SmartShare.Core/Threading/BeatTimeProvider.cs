namespace SmartShare.Threading;

/// <summary>
/// A <see cref="TimeProvider"/> whose timers fire on a shared beat: one timer of the inner provider, every
/// <see cref="Beat"/>, runs the callbacks of every timer then due, instead of each timer waking a thread of its own. A
/// node seeding 5,000 torrents had one tick timer per torrent session: about a thousand thread-pool wake-ups a second
/// while nothing happened, most of its idle CPU; on a beat of 100 ms they are ten. A timer fires at the first beat at
/// or after its due time (never early, less than a beat late), a periodic one then every whole number of beats (its
/// period rounded up). Time itself (<see cref="GetUtcNow"/>, <see cref="GetTimestamp"/>) is the inner provider's.
/// Callbacks due together run as the runtime's own timers do: on thread-pool threads, at once. Thread-safe. The beat
/// runs only while some timer is set.
/// </summary>
public sealed class BeatTimeProvider : TimeProvider, IDisposable
{
    private readonly TimeProvider _inner;
    private readonly long _origin;
    private readonly Lock _lock = new();

    // Set timers by the beat they fire at; an entry whose version is not its timer's any more was changed or disposed.
    private readonly PriorityQueue<(BeatTimer Timer, long Version), long> _due = new();
    private ITimer? _beatTimer;
    private long _beats; // beats counted so far
    private TimeSpan _lastBeat; // when (since _origin) the last beat was due, or the beat started: whole beats apart
    private int _set; // timers waiting for a beat
    private bool _disposed;

    public BeatTimeProvider(TimeProvider inner, TimeSpan beat)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(beat, TimeSpan.Zero);
        _inner = inner;
        _origin = inner.GetTimestamp();
        Beat = beat;
    }

    /// <summary>How often the timers due are fired.</summary>
    public TimeSpan Beat { get; }

    public override DateTimeOffset GetUtcNow() => _inner.GetUtcNow();

    public override long GetTimestamp() => _inner.GetTimestamp();

    public override long TimestampFrequency => _inner.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => _inner.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new BeatTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    public void Dispose()
    {
        ITimer? beat;
        lock (_lock)
        {
            _disposed = true;
            _due.Clear();
            _set = 0;
            beat = _beatTimer;
            _beatTimer = null;
        }

        beat?.Dispose();
    }

    // Sets (or, with an infinite due time, stops) a timer; false once the provider is disposed.
    private bool Set(BeatTimer timer, TimeSpan dueTime, TimeSpan period)
    {
        // The limits of System.Threading.Timer.
        ArgumentOutOfRangeException.ThrowIfLessThan(dueTime, Timeout.InfiniteTimeSpan);
        ArgumentOutOfRangeException.ThrowIfLessThan(period, Timeout.InfiniteTimeSpan);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dueTime, MaxTime);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(period, MaxTime);
        ITimer? stopped = null;
        lock (_lock)
        {
            if (_disposed || timer.Disposed)
            {
                return false;
            }

            Unset(timer);
            if (dueTime != Timeout.InfiniteTimeSpan)
            {
                if (_beatTimer is null)
                {
                    _lastBeat = Now;
                    _beatTimer = _inner.CreateTimer(static state => ((BeatTimeProvider)state!).RunBeat(), this, Beat, Timeout.InfiniteTimeSpan);
                }

                // The first beat at or after now + dueTime: the next beat is due a beat after the last one.
                var sinceLastBeat = Now - _lastBeat;
                timer.PeriodBeats = period <= TimeSpan.Zero ? 0 : BeatsFor(period);
                timer.DueBeat = _beats + BeatsFor(dueTime + sinceLastBeat);
                _due.Enqueue((timer, timer.Version), timer.DueBeat);
                _set++;
            }
            else if (_set == 0)
            {
                stopped = StopBeatLocked();
            }
        }

        stopped?.Dispose();
        return true;
    }

    private void Unset(BeatTimer timer)
    {
        if (timer.DueBeat >= 0)
        {
            timer.DueBeat = -1;
            timer.Version++;
            _set--;
        }
    }

    private void Dispose(BeatTimer timer)
    {
        ITimer? stopped = null;
        lock (_lock)
        {
            timer.Disposed = true;
            Unset(timer);
            if (_set == 0)
            {
                stopped = StopBeatLocked();
            }
        }

        stopped?.Dispose();
    }

    // With no timer set the beat stops; entries left behind are stale (each timer's version moved on).
    private ITimer? StopBeatLocked()
    {
        var beat = _beatTimer;
        _beatTimer = null;
        _due.Clear();
        return beat;
    }

    private TimeSpan Now => _inner.GetElapsedTime(_origin);

    private static readonly TimeSpan MaxTime = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    // Whole beats, rounded up; at least one: a timer never fires in the beat it was set in.
    private long BeatsFor(TimeSpan span) => Math.Max(1, (span.Ticks / Beat.Ticks) + (span.Ticks % Beat.Ticks == 0 ? 0 : 1));

    private void RunBeat()
    {
        List<BeatTimer>? due = null;
        ITimer? stopped = null;
        lock (_lock)
        {
            if (_beatTimer is null)
            {
                return;
            }

            // Beats are due whole beats after the first, whenever the inner timer fires: one that fires late (or a fake
            // clock moved several beats at once) counts every beat passed, and one that fires early waits, so the beats
            // neither drift nor run early.
            var now = Now;
            var passed = (now - _lastBeat).Ticks / Beat.Ticks;
            _beats += passed;
            _lastBeat += passed * Beat;
            _beatTimer.Change(Beat - (now - _lastBeat), Timeout.InfiniteTimeSpan);
            while (passed > 0 && _due.TryPeek(out var entry, out var beat) && beat <= _beats)
            {
                _due.Dequeue();
                var timer = entry.Timer;
                if (entry.Version != timer.Version)
                {
                    continue;
                }

                (due ??= []).Add(timer);
                if (timer.PeriodBeats > 0)
                {
                    timer.DueBeat = _beats + timer.PeriodBeats;
                    _due.Enqueue((timer, timer.Version), timer.DueBeat);
                }
                else
                {
                    Unset(timer);
                }
            }

            if (_set == 0)
            {
                stopped = StopBeatLocked();
            }
        }

        stopped?.Dispose();
        if (due is not null)
        {
            // As the runtime's timer queue does with timers due together: all but the last on the thread pool, the
            // last here, so a long callback holds up no other (the wake-ups saved are the sleeping threads woken one
            // timer at a time, not the work items).
            for (var i = 0; i < due.Count - 1; i++)
            {
                ThreadPool.UnsafeQueueUserWorkItem(static timer => timer.Fire(), due[i], preferLocal: false);
            }

            due[^1].Fire();
        }
    }

    private sealed class BeatTimer(BeatTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        // All under the owner's lock.
        public long DueBeat { get; set; } = -1;

        public long PeriodBeats { get; set; }

        public long Version { get; set; }

        public bool Disposed { get; set; }

        public bool Change(TimeSpan dueTime, TimeSpan period) => owner.Set(this, dueTime, period);

        public void Fire() => callback(state);

        public void Dispose() => owner.Dispose(this);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
