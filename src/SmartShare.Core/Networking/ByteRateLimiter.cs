namespace SmartShare.Networking;

/// <summary>
/// A token bucket that paces bytes to a rate (a download or upload limit). Tokens accrue at the rate up to a burst
/// of a quarter second's worth (at least <see cref="MinimumBurst"/>); a caller waits until the bucket holds its
/// bytes (or a full burst, for a request larger than one) and then takes them, going into debt for the rest, so the
/// long-run rate is exact. Waiters are served first come, first served (by <see cref="NextTicket"/>), so a connection
/// that asks often cannot starve one that asks rarely. A limiter may have a <see cref="Parent"/> (a transfer's limit under the
/// node's): a byte then passes both. A rate of 0 means no limit. The rate may be a live setting: it is re-read
/// at least every <see cref="RecheckInterval"/> while anyone waits, and at once after <see cref="Refresh"/>.
/// All waiting runs on the injected <see cref="TimeProvider"/>.
/// </summary>
public sealed class ByteRateLimiter : IDisposable
{
    /// <summary>The smallest burst, so a limit below one block still lets whole blocks through.</summary>
    public const long MinimumBurst = 16 * 1024;

    /// <summary>How long a waiter may go without the rate being read again (a changed limit applies within this).</summary>
    public static readonly TimeSpan RecheckInterval = TimeSpan.FromMilliseconds(200);

    private static readonly double BurstSeconds = 0.25;

    private static long _tickets;

    private readonly Lock _lock = new();
    private readonly LinkedList<Waiter> _queue = new();
    private readonly TimeProvider _time;
    private Func<long> _bytesPerSecond;
    private ITimer? _timer;
    private long _lastRefill;
    private long _rate;
    private double _tokens;
    private bool _disposed;

    public ByteRateLimiter(long bytesPerSecond, TimeProvider time, ByteRateLimiter? parent = null)
        : this(Constant(bytesPerSecond), time, parent)
    {
    }

    /// <summary>A limiter whose rate is read from <paramref name="bytesPerSecond"/> (a live setting).</summary>
    public ByteRateLimiter(Func<long> bytesPerSecond, TimeProvider time, ByteRateLimiter? parent = null)
    {
        _bytesPerSecond = bytesPerSecond ?? throw new ArgumentNullException(nameof(bytesPerSecond));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        Parent = parent;
        _lastRefill = time.GetTimestamp();
    }

    /// <summary>The limiter every byte passing this one passes next (the node's, above a transfer's), or null.</summary>
    public ByteRateLimiter? Parent { get; }

    /// <summary>This limiter's own rate in bytes per second (0 = no limit of its own).</summary>
    public long BytesPerSecond
    {
        get => ReadRate();
        set
        {
            Volatile.Write(ref _bytesPerSecond, Constant(value));
            Refresh();
        }
    }

    /// <summary>True when neither this limiter nor any parent limits anything now.</summary>
    public bool IsUnlimited => ReadRate() == 0 && (Parent?.IsUnlimited ?? true);

    /// <summary>Callers waiting in this limiter's own queue.</summary>
    public int Waiting
    {
        get
        {
            lock (_lock)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>
    /// A place in line, shared by every limiter: lower goes first. Each <see cref="WaitAsync(long, CancellationToken)"/>
    /// takes a new one (first come, first served); a caller sending one thing in slices (a blob) takes one for the
    /// whole and passes it with every slice, so an earlier blob's slices go before a later blob's and blobs finish one
    /// after another instead of all together.
    /// </summary>
    public static long NextTicket() => Interlocked.Increment(ref _tickets);

    /// <summary>Waits until <paramref name="bytes"/> may pass this limiter and its parents, then takes them.</summary>
    public ValueTask WaitAsync(long bytes, CancellationToken cancellationToken) => WaitAsync(bytes, NextTicket(), cancellationToken);

    /// <summary>As <see cref="WaitAsync(long, CancellationToken)"/>, in line by <paramref name="ticket"/> (<see cref="NextTicket"/>).</summary>
    public ValueTask WaitAsync(long bytes, long ticket, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        cancellationToken.ThrowIfCancellationRequested();
        var limiter = this;
        while (limiter is not null && limiter.TryTake(bytes))
        {
            limiter = limiter.Parent;
        }

        if (limiter is null)
        {
            return ValueTask.CompletedTask;
        }

        var waiter = new Waiter(bytes, ticket, cancellationToken);
        if (cancellationToken.CanBeCanceled)
        {
            waiter.Registration = cancellationToken.UnsafeRegister(static state => Cancel((Waiter)state!), waiter);
        }

        Forward(limiter.Queue(waiter));
        return new ValueTask(waiter.Completion.Task);
    }

    /// <summary>Reads the rate again and serves whoever may go now; call after changing the setting behind it.</summary>
    public void Refresh()
    {
        List<Waiter>? released;
        lock (_lock)
        {
            released = Process();
        }

        Forward(released);
    }

    public void Dispose()
    {
        List<Waiter> waiting;
        lock (_lock)
        {
            _disposed = true;
            _timer?.Dispose();
            _timer = null;
            waiting = [.. _queue];
            _queue.Clear();
        }

        foreach (var waiter in waiting)
        {
            waiter.Registration.Dispose();
            waiter.Completion.TrySetException(new ObjectDisposedException(nameof(ByteRateLimiter)));
        }
    }

    // Takes the bytes at once if nobody queues here and the bucket holds them.
    private bool TryTake(long bytes)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return false;
            }

            Refill();
            if (_rate == 0)
            {
                return true;
            }

            if (_queue.Count == 0 && _tokens >= Threshold(bytes))
            {
                _tokens -= bytes;
                return true;
            }

            return false;
        }
    }

    private List<Waiter>? Queue(Waiter waiter)
    {
        lock (_lock)
        {
            Volatile.Write(ref waiter.Owner, this);
            if (_disposed)
            {
                waiter.Completion.TrySetException(new ObjectDisposedException(nameof(ByteRateLimiter)));
                return null;
            }

            if (waiter.Token.IsCancellationRequested)
            {
                waiter.Completion.TrySetCanceled(waiter.Token);
                return null;
            }

            // In ticket order: usually the last, or just before the newer slices of later blobs.
            var after = _queue.Last;
            while (after is not null && after.Value.Ticket > waiter.Ticket)
            {
                after = after.Previous;
            }

            waiter.Node = after is null ? _queue.AddFirst(waiter) : _queue.AddAfter(after, waiter);
            return Process();
        }
    }

    // Waiters this limiter let through go on to the parent (at once if it has the tokens), or are done.
    private static void Forward(List<Waiter>? released)
    {
        if (released is null)
        {
            return;
        }

        foreach (var waiter in released)
        {
            var next = waiter.Owner!.Parent;
            while (next is not null && next.TryTake(waiter.Bytes))
            {
                next = next.Parent;
            }

            if (next is null)
            {
                waiter.Registration.Dispose();
                waiter.Completion.TrySetResult();
            }
            else
            {
                Forward(next.Queue(waiter));
            }
        }
    }

    private static void Cancel(Waiter waiter)
    {
        // A waiter between two limiters is in neither queue; the next one's Queue sees the cancelled token.
        if (Volatile.Read(ref waiter.Owner) is not { } owner)
        {
            return;
        }

        List<Waiter>? released;
        lock (owner._lock)
        {
            if (waiter.Node?.List is null || !ReferenceEquals(waiter.Owner, owner))
            {
                return;
            }

            owner._queue.Remove(waiter.Node);
            released = owner.Process();
        }

        waiter.Completion.TrySetCanceled(waiter.Token);
        Forward(released);
    }

    // Under the lock: hands tokens to the head of the queue while they last, then arms the timer for the next one.
    private List<Waiter>? Process()
    {
        if (_disposed)
        {
            return null;
        }

        Refill();
        List<Waiter>? released = null;
        while (_queue.First is { } head && (_rate == 0 || _tokens >= Threshold(head.Value.Bytes)))
        {
            if (_rate != 0)
            {
                _tokens -= head.Value.Bytes;
            }

            _queue.RemoveFirst();
            (released ??= []).Add(head.Value);
        }

        if (_queue.First is { } next)
        {
            var missing = Threshold(next.Value.Bytes) - _tokens;
            var wait = TimeSpan.FromSeconds(Math.Max(missing, 1) / _rate);
            if (wait > RecheckInterval)
            {
                wait = RecheckInterval;
            }

            if (wait < TimeSpan.FromMilliseconds(1))
            {
                wait = TimeSpan.FromMilliseconds(1);
            }

            _timer ??= _time.CreateTimer(static state => ((ByteRateLimiter)state!).Refresh(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _timer.Change(wait, Timeout.InfiniteTimeSpan);
        }

        return released;
    }

    // Under the lock: adds what the time since the last refill earned, at the rate in force now.
    private void Refill()
    {
        var now = _time.GetTimestamp();
        var elapsed = _time.GetElapsedTime(_lastRefill, now).TotalSeconds;
        _lastRefill = now;
        var rate = ReadRate();
        if (rate == 0)
        {
            _rate = 0;
            return;
        }

        var burst = Burst(rate);
        if (rate != _rate)
        {
            // A new limit starts from a full burst when there was none, and forgives debt beyond one burst, so a
            // lowered limit applies at once instead of after the old limit's debt is paid.
            _tokens = _rate == 0 ? burst : Math.Clamp(_tokens, -burst, burst);
            _rate = rate;
            return;
        }

        _tokens = Math.Min(burst, _tokens + (elapsed * rate));
    }

    private double Threshold(long bytes) => Math.Min(bytes, Burst(_rate));

    private static double Burst(long rate) => Math.Max(MinimumBurst, rate * BurstSeconds);

    private long ReadRate() => Math.Max(0, Volatile.Read(ref _bytesPerSecond)());

    private static Func<long> Constant(long bytesPerSecond)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytesPerSecond);
        return () => bytesPerSecond;
    }

    private sealed class Waiter(long bytes, long ticket, CancellationToken token)
    {
        // The limiter whose queue holds (or last held) this waiter.
        public ByteRateLimiter? Owner;

        public long Bytes { get; } = bytes;

        public long Ticket { get; } = ticket;

        public CancellationToken Token { get; } = token;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public LinkedListNode<Waiter>? Node { get; set; }

        public CancellationTokenRegistration Registration { get; set; }
    }
}
