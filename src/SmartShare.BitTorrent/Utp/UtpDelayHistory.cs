namespace SmartShare.BitTorrent.Utp;

/// <summary>
/// One direction's one-way delay samples as LEDBAT reads them (libutp's DelayHist): the base delay is the least
/// sample of the last 13 minutes (one slot a minute), which cancels the two clocks' offset and the propagation delay;
/// the current delay is the least of the last 3 samples above that base, which is the queuing delay. Samples are
/// microsecond differences of two unsynchronised clocks, so every comparison wraps modulo 2^32.
/// </summary>
internal sealed class UtpDelayHistory
{
    private const int CurrentSize = 3;
    private const int BaseHistory = 13;
    private const long SlotMicroseconds = 60_000_000;

    private readonly uint[] _current = new uint[CurrentSize];
    private readonly uint[] _bases = new uint[BaseHistory];
    private int _currentIndex;
    private int _baseIndex;
    private long _slotStarted;
    private bool _initialized;

    /// <summary>The least sample seen (the offset of the two clocks plus the propagation delay).</summary>
    public uint Base { get; private set; }

    /// <summary>The queuing delay: the least recent sample above <see cref="Base"/>, in microseconds.</summary>
    public uint Value
    {
        get
        {
            var value = uint.MaxValue;
            foreach (var sample in _current)
            {
                value = Math.Min(value, sample);
            }

            return value;
        }
    }

    /// <summary>Whether any sample was taken.</summary>
    public bool HasSamples => _initialized;

    public void Add(uint sample, long nowMicroseconds)
    {
        if (!_initialized)
        {
            _initialized = true;
            Base = sample;
            Array.Fill(_bases, sample);
            _slotStarted = nowMicroseconds;
        }

        if (UtpSequence.Before(sample, _bases[_baseIndex]))
        {
            _bases[_baseIndex] = sample;
        }

        if (UtpSequence.Before(sample, Base))
        {
            Base = sample;
        }

        _current[_currentIndex] = sample - Base;
        _currentIndex = (_currentIndex + 1) % CurrentSize;

        if (nowMicroseconds - _slotStarted >= SlotMicroseconds)
        {
            // A new minute: the oldest slot leaves, and the base is the least of those left.
            _slotStarted = nowMicroseconds;
            _baseIndex = (_baseIndex + 1) % BaseHistory;
            _bases[_baseIndex] = sample;
            Base = _bases[0];
            foreach (var slot in _bases)
            {
                if (UtpSequence.Before(slot, Base))
                {
                    Base = slot;
                }
            }
        }
    }

    /// <summary>Raises the base by <paramref name="offset"/> (clock drift, or a delay above the round trip).</summary>
    public void Shift(uint offset)
    {
        for (var i = 0; i < BaseHistory; i++)
        {
            _bases[i] += offset;
        }

        Base += offset;
    }
}
