namespace SmartShare.Networking;

/// <summary>
/// Paces transfers to a rate shared by all callers (an upload limit): each transfer reserves its bytes on one
/// schedule and waits for its turn, with up to one second of unused allowance kept as a burst. A rate of 0 means
/// no limit; it can be changed while transfers run, or read from a setting at every reservation.
/// </summary>
public sealed class ByteRateLimiter
{
    private static readonly TimeSpan Burst = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly long _origin;
    private Func<long> _bytesPerSecond;
    private TimeSpan _next = -Burst;

    public ByteRateLimiter(long bytesPerSecond, TimeProvider time)
        : this(Constant(bytesPerSecond), time)
    {
    }

    /// <summary>A limiter whose rate is read from <paramref name="bytesPerSecond"/> (a live setting) each time.</summary>
    public ByteRateLimiter(Func<long> bytesPerSecond, TimeProvider time)
    {
        _bytesPerSecond = bytesPerSecond ?? throw new ArgumentNullException(nameof(bytesPerSecond));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _origin = time.GetTimestamp();
    }

    public long BytesPerSecond
    {
        get => Math.Max(0, Volatile.Read(ref _bytesPerSecond)());
        set => Volatile.Write(ref _bytesPerSecond, Constant(value));
    }

    /// <summary>Reserves <paramref name="bytes"/> and returns how long the caller must wait before sending them.</summary>
    public TimeSpan Reserve(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        var rate = BytesPerSecond;
        if (rate == 0)
        {
            return TimeSpan.Zero;
        }

        lock (_lock)
        {
            var now = _time.GetElapsedTime(_origin);
            if (_next < now - Burst)
            {
                _next = now - Burst;
            }

            var start = _next;
            _next += TimeSpan.FromSeconds((double)bytes / rate);
            return start > now ? start - now : TimeSpan.Zero;
        }
    }

    /// <summary>Waits until <paramref name="bytes"/> may be sent.</summary>
    public async ValueTask WaitAsync(long bytes, CancellationToken cancellationToken)
    {
        var delay = Reserve(bytes);
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, _time, cancellationToken);
        }
    }

    private static Func<long> Constant(long bytesPerSecond)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytesPerSecond);
        return () => bytesPerSecond;
    }
}
