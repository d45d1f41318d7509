using System.Diagnostics;

namespace SmartShare.BitTorrent.Engine;

/// <summary>
/// A transfer rate smoothed over about <c>window</c> seconds: bytes are added as they move, and the rate is an
/// exponential moving average updated whenever it is read or written at least 100 ms after the last update.
/// Thread-safe.
/// </summary>
public sealed class RateMeter(double windowSeconds = 5)
{
    private readonly Lock _lock = new();
    private long _pending;
    private long _lastTicks = Stopwatch.GetTimestamp();
    private double _rate;

    public long Total { get; private set; }

    /// <summary>Bytes per second.</summary>
    public double Rate
    {
        get
        {
            lock (_lock)
            {
                Update();
                return _rate;
            }
        }
    }

    public void Add(long bytes)
    {
        lock (_lock)
        {
            _pending += bytes;
            Total += bytes;
            Update();
        }
    }

    private void Update()
    {
        var now = Stopwatch.GetTimestamp();
        var seconds = (now - _lastTicks) / (double)Stopwatch.Frequency;
        if (seconds < 0.1)
        {
            return;
        }

        var sample = _pending / seconds;
        var weight = Math.Min(1, seconds / windowSeconds);
        _rate += (sample - _rate) * weight;
        _pending = 0;
        _lastTicks = now;
    }
}
