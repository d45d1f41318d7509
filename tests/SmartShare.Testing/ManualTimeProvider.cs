namespace SmartShare.Testing;

/// <summary>
/// A clock that moves only when told to. Timers (including those behind <c>Task.Delay(…, timeProvider)</c>)
/// fire in due-time order, on the thread that advances the clock, with the clock set to their due time. Used by
/// tests and simulations so that thousands of nodes can run in virtual time on one thread.
/// </summary>
public sealed class ManualTimeProvider : TimeProvider
{
    private readonly Lock _gate = new();
    private readonly PriorityQueue<ScheduledCallback, (long DueTicks, long Sequence)> _queue = new();
    private long _nowTicks;
    private long _sequence;

    public ManualTimeProvider()
        : this(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero))
    {
    }

    public ManualTimeProvider(DateTimeOffset start) => _nowTicks = start.UtcTicks;

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <summary>Callbacks waiting to fire, including stale entries of changed or disposed timers.</summary>
    public int PendingCount
    {
        get
        {
            lock (_gate)
            {
                return _queue.Count;
            }
        }
    }

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _nowTicks), TimeSpan.Zero);

    public override long GetTimestamp() => Interlocked.Read(ref _nowTicks);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Moves the clock forward by <paramref name="delta"/>, firing every timer that falls due on the way.</summary>
    public void Advance(TimeSpan delta)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delta, TimeSpan.Zero);
        var target = Interlocked.Read(ref _nowTicks) + delta.Ticks;
        while (TryTakeNext(target, out var next))
        {
            next.Callback(next.State);
        }

        lock (_gate)
        {
            _nowTicks = Math.Max(_nowTicks, target);
        }
    }

    /// <summary>Jumps to the next due callback and runs it; false when nothing is scheduled.</summary>
    public bool RunNext()
    {
        if (!TryTakeNext(long.MaxValue, out var next))
        {
            return false;
        }

        next.Callback(next.State);
        return true;
    }

    /// <summary>
    /// Runs callbacks in due order until <paramref name="done"/> holds; false if the schedule ran dry first
    /// (the awaited work can never finish) or more than <paramref name="maxVirtualTime"/> passed.
    /// </summary>
    public bool RunUntil(Func<bool> done, TimeSpan maxVirtualTime)
    {
        ArgumentNullException.ThrowIfNull(done);
        var deadline = Interlocked.Read(ref _nowTicks) + maxVirtualTime.Ticks;
        while (!done())
        {
            if (!TryTakeNext(deadline, out var next))
            {
                return false;
            }

            next.Callback(next.State);
        }

        return true;
    }

    internal void Schedule(TimeSpan delay, Action<object?> callback, object? state)
    {
        lock (_gate)
        {
            var due = _nowTicks + Math.Max(0, delay.Ticks);
            _queue.Enqueue(new ScheduledCallback(callback, state), (due, _sequence++));
        }
    }

    private bool TryTakeNext(long notAfterTicks, out ScheduledCallback next)
    {
        lock (_gate)
        {
            if (_queue.TryPeek(out next, out var priority) && priority.DueTicks <= notAfterTicks)
            {
                _queue.Dequeue();
                _nowTicks = Math.Max(_nowTicks, priority.DueTicks);
                return true;
            }

            return false;
        }
    }

    private readonly record struct ScheduledCallback(Action<object?> Callback, object? State);

    /// <summary>Each Change bumps a generation; entries queued for an older generation are ignored.</summary>
    private sealed class ManualTimer(ManualTimeProvider clock, TimerCallback callback, object? state) : ITimer
    {
        private readonly Lock _gate = new();
        private long _generation;
        private TimeSpan _period = Timeout.InfiniteTimeSpan;
        private bool _disposed;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            long generation;
            lock (_gate)
            {
                if (_disposed)
                {
                    return false;
                }

                generation = ++_generation;
                _period = period;
            }

            if (dueTime != Timeout.InfiniteTimeSpan)
            {
                clock.Schedule(dueTime, Fire, generation);
            }

            return true;
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _disposed = true;
                _generation++;
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }

        private void Fire(object? generationState)
        {
            var generation = (long)generationState!;
            TimeSpan period;
            lock (_gate)
            {
                if (_disposed || generation != _generation)
                {
                    return;
                }

                period = _period;
            }

            callback(state);
            lock (_gate)
            {
                if (_disposed || generation != _generation
                    || period == Timeout.InfiniteTimeSpan || period <= TimeSpan.Zero)
                {
                    return;
                }
            }

            clock.Schedule(period, Fire, generation);
        }
    }
}
