namespace SmartShare.BitTorrent.Engine;

/// <summary>
/// A transfer rate smoothed over about <c>window</c> seconds: bytes are added as they move, and the rate is an
/// exponential moving average updated whenever it is read or written at least 100 ms after the last update. Once
/// nothing has moved for <c>window</c> seconds the rate is 0: read every second, the average alone took a minute to
/// fall from 1 MB/s below 1 B/s, so a peer that had stopped sending still counted as sending to us (Transmission's
/// <c>peersSendingToUs</c>, the web UI's rates) long after. Thread-safe. Time is read from <paramref name="time"/>
/// (default the system clock) so tests can advance a fake one.
/// </summary>
public sealed class RateMeter(double windowSeconds = 5, TimeProvider? time = null)
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private long _pending;
    private long _lastTicks = (time ?? TimeProvider.System).GetTimestamp();
    private long _lastMoved = (time ?? TimeProvider.System).GetTimestamp(); // when bytes last came in an update
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
        var now = _time.GetTimestamp();
        var seconds = _time.GetElapsedTime(_lastTicks, now).TotalSeconds;
        if (seconds < 0.1)
        {
            return;
        }

        var sample = _pending / seconds;
        var weight = Math.Min(1, seconds / windowSeconds);
        _rate += (sample - _rate) * weight;
        if (_pending > 0)
        {
            _lastMoved = now;
        }
        else if (_time.GetElapsedTime(_lastMoved, now).TotalSeconds >= windowSeconds)
        {
            _rate = 0;
        }

        _pending = 0;
        _lastTicks = now;
    }
}
