namespace SmartShare.Networking;

/// <summary>
/// Paces transfers to a rate shared by all callers (an upload limit): each transfer reserves its bytes on one
/// schedule and waits for its turn, with up to one second of unused allowance kept as a burst. A rate of 0 means
/// no limit; it can be changed while transfers run.
/// </summary>
public sealed class ByteRateLimiter(long bytesPerSecond, TimeProvider time)
{
    private static readonly TimeSpan Burst = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private readonly long _origin = time.GetTimestamp();
    private long _bytesPerSecond = bytesPerSecond >= 0 ? bytesPerSecond : throw new ArgumentOutOfRangeException(nameof(bytesPerSecond));
    private TimeSpan _next = -Burst;

    public long BytesPerSecond
    {
        get => Volatile.Read(ref _bytesPerSecond);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            Volatile.Write(ref _bytesPerSecond, value);
        }
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
            var now = time.GetElapsedTime(_origin);
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
            await Task.Delay(delay, time, cancellationToken);
        }
    }
}
