using System.Numerics;

namespace SmartShare.Threading;

/// <summary>
/// A <see cref="TimeProvider"/> whose timers fire on a shared beat: one timer of the inner provider runs the
/// callbacks of every timer due at a beat (every <see cref="Beat"/>), instead of each timer waking a thread of its own.
/// A node seeding 5,000 torrents had one tick timer per torrent session: about a thousand thread-pool wake-ups a second
/// while nothing happened, most of its idle CPU. A timer fires at the first beat at or after its due time (less than a
/// beat late), a periodic one then every whole number of beats (its period rounded up). The inner timer is set for the
/// first beat some timer is due at, not for every beat, and a timer set 32 beats ahead or more (3.2 s on a beat of
/// 100 ms) fires on a coarser grid, so that long waits begun at different moments end in the same beat: at the first
/// beat at or after its due time whose number is a multiple of the largest power of two up to a sixteenth of its wait
/// (so at most a sixteenth of its wait later). 5,000 idle seeds ticking every 30 s, each on its own phase, were due in
/// every beat, ten wake-ups a second; on a grid of 16 beats they wake the node once in 1.6 s.
/// The inner timer may fire up to <see cref="EarlyBy"/> before a beat (the runtime's timers keep time on a coarse
/// clock and fire a few milliseconds early); that counts as the beat, so a timer may fire that much before its due
/// time rather than wake the node twice. Time itself (<see cref="GetUtcNow"/>, <see cref="GetTimestamp"/>) is the inner
/// provider's. Callbacks due together run as the runtime's own timers do: on thread-pool threads, at once.
/// Thread-safe. The inner timer runs only while some timer is set.
/// </summary>
public sealed class BeatTimeProvider : TimeProvider, IDisposable
{
    private readonly TimeProvider _inner;
    private readonly long _origin;
    private readonly Lock _lock = new();

    // Set timers by the beat they fire at; an entry whose version is not its timer's any more was changed or disposed.
    private readonly PriorityQueue<(BeatTimer Timer, long Version), long> _due = new();
    private ITimer? _beatTimer;
    private long _armedBeat = long.MaxValue; // the beat the inner timer is set for
    private long _beats; // beats counted so far
    private TimeSpan _lastBeat; // when (since _origin) the last beat was due, or the beat started: whole beats apart
    private int _set; // timers waiting for a beat
    private long _dispatched;
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

    /// <summary>Callbacks handed to run so far (for tests: they wait for as many to have run before moving a fake clock on).</summary>
    internal long Dispatched
    {
        get
        {
            lock (_lock)
            {
                return _dispatched;
            }
        }
    }

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
                    _armedBeat = long.MaxValue;
                    _beatTimer = _inner.CreateTimer(static state => ((BeatTimeProvider)state!).RunBeat(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                }

                // The first beat at or after now + dueTime (beats come whole beats after the last one counted), on the
                // wait's grid.
                var now = Now;
                timer.PeriodBeats = period <= TimeSpan.Zero ? 0 : BeatsFor(period);
                timer.DueBeat = OnGrid(_beats + BeatsFor(dueTime + (now - _lastBeat)), BeatsFor(dueTime));
                _due.Enqueue((timer, timer.Version), timer.DueBeat);
                _set++;
                if (timer.DueBeat < _armedBeat)
                {
                    ArmLocked(timer.DueBeat, now);
                }
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
        _armedBeat = long.MaxValue;
        _due.Clear();
        return beat;
    }

    // Sets the inner timer for beat `beat` (after the last one counted); never for now, so that no inner clock runs the
    // beat inside this call, under the lock (a fake clock fires a timer due at once as it is set).
    private void ArmLocked(long beat, TimeSpan now)
    {
        _armedBeat = beat;
        var wait = _lastBeat + ((beat - _beats) * Beat) - now;
        _beatTimer!.Change(wait > TimeSpan.Zero ? wait : TimeSpan.FromTicks(1), Timeout.InfiniteTimeSpan);
    }

    // The earliest beat a timer is due at, dropping the entries of timers changed or disposed since; null when none.
    private long? EarliestLocked()
    {
        while (_due.TryPeek(out var entry, out var beat))
        {
            if (entry.Version == entry.Timer.Version)
            {
                return beat;
            }

            _due.Dequeue();
        }

        return null;
    }

    private TimeSpan Now => _inner.GetElapsedTime(_origin);

    private static readonly TimeSpan MaxTime = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    // Whole beats, rounded up; at least one: a timer never fires in the beat it was set in.
    private long BeatsFor(TimeSpan span) => Math.Max(1, (span.Ticks / Beat.Ticks) + (span.Ticks % Beat.Ticks == 0 ? 0 : 1));

    // The beat a wait of `beats` first due at beat `due` ends at: the first at or after it on the wait's grid (a
    // multiple of the largest power of two up to beats / 16; every beat for a wait under 32 beats). Grids are powers of
    // two counted from the first beat, so a coarser one's beats are on every finer one too.
    internal static long OnGrid(long due, long beats)
    {
        var grid = beats < 2 * GridFraction ? 1 : 1L << BitOperations.Log2((ulong)(beats / GridFraction));
        return (due + grid - 1) / grid * grid;
    }

    // A timer fires at most 1/GridFraction of its wait late.
    private const long GridFraction = 16;

    /// <summary>How early the inner timer may fire and still count as the beat it was set for: 10 ms, at most half a beat.</summary>
    public TimeSpan EarlyBy => Beat / 2 < MaxEarly ? Beat / 2 : MaxEarly;

    private static readonly TimeSpan MaxEarly = TimeSpan.FromMilliseconds(10);

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
            // clock moved several beats at once) counts every beat passed, and one that fires early (more than EarlyBy)
            // counts none, so the beats neither drift nor run early.
            var now = Now;
            var passed = (now - _lastBeat + EarlyBy).Ticks / Beat.Ticks;
            _beats += passed;
            _lastBeat += passed * Beat;
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
                    timer.DueBeat = OnGrid(_beats + timer.PeriodBeats, timer.PeriodBeats);
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
            else if (EarliestLocked() is { } next)
            {
                ArmLocked(Math.Max(next, _beats + 1), now);
            }

            _dispatched += due?.Count ?? 0;
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
