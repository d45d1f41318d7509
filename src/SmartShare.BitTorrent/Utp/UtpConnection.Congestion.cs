namespace SmartShare.BitTorrent.Utp;

/// <summary>
/// LEDBAT: one-way delay samples both ways, the congestion window's growth and shrinking, and slow start.
/// </summary>
public sealed partial class UtpConnection
{
    private const long DecayIntervalMicroseconds = 100_000;

    private readonly UtpDelayHistory _ourDelays = new();
    private readonly UtpDelayHistory _theirDelays = new();
    private long _lastDecay;
    private bool _slowStart = true;
    private long _ssthresh = long.MaxValue;

    private void TakeDelaySamples(in UtpHeader header, long now, long minRtt)
    {
        // Their delay: our clock now minus theirs when they sent; we report it back in every header we send.
        var theirDelay = header.TimestampMicroseconds == 0 ? 0 : (uint)now - header.TimestampMicroseconds;
        _replyMicro = theirDelay;
        var hadTheirs = _theirDelays.HasSamples;
        var previousBase = _theirDelays.Base;
        if (theirDelay != 0)
        {
            _theirDelays.Add(theirDelay, now);
        }

        // Their base falling means our clock runs slow against theirs: our own base must rise as much.
        if (hadTheirs && UtpSequence.Before(_theirDelays.Base, previousBase) && previousBase - _theirDelays.Base <= 10_000)
        {
            _ourDelays.Shift(previousBase - _theirDelays.Base);
        }

        var actual = header.TimestampDifferenceMicroseconds;
        if (actual is not 0 and not int.MaxValue)
        {
            _ourDelays.Add(actual, now);
        }

        // A queuing delay can never exceed the round trip.
        if (minRtt != long.MaxValue && _ourDelays.Value > minRtt)
        {
            _ourDelays.Shift((uint)(_ourDelays.Value - minRtt));
        }
    }

    // A loss: halve the window, at most once per 100 ms (libutp), and leave slow start.
    private void DecayWindow(long now)
    {
        if (now - _lastDecay < DecayIntervalMicroseconds)
        {
            return;
        }

        _maxWindow = Math.Max(_maxWindow / 2, _options.MaxPayload);
        _lastDecay = now;
        _slowStart = false;
        _ssthresh = _maxWindow;
    }

    // LEDBAT (libutp's rule): grow or shrink the window in proportion to how far the queuing delay is from the target,
    // by at most MaxWindowIncreasePerRtt a round trip; slow start doubles it each round trip (as libtorrent does)
    // until the delay nears the target.
    private void ApplyCongestionControl(long ackedBytes, long minRtt, long now)
    {
        long ourDelay = _ourDelays.Value;
        if (minRtt != long.MaxValue)
        {
            ourDelay = Math.Min(ourDelay, minRtt);
        }

        double target = ToMicroseconds(_options.TargetDelay);
        var offTarget = target - ourDelay;
        var windowFactor = Math.Min(ackedBytes, _maxWindow) / (double)Math.Max(_maxWindow, ackedBytes);
        var gain = _options.MaxWindowIncreasePerRtt * windowFactor * Math.Min(offTarget, target) / target;

        // Not held back by the window for a second: the application sends less than the window allows, so
        // growing it means nothing (and would let it grow without bound).
        var limited = now - _lastMaxedOut > 1_000_000;
        if (gain > 0 && limited)
        {
            gain = 0;
        }

        var next = _maxWindow + gain;
        if (_slowStart)
        {
            var doubled = _maxWindow + (limited ? 0 : Math.Min(ackedBytes, _maxWindow));
            if (doubled > _ssthresh)
            {
                _slowStart = false;
            }
            else if (ourDelay > target * 0.9)
            {
                _slowStart = false;
                _ssthresh = _maxWindow;
            }
            else
            {
                next = Math.Max(doubled, next);
            }
        }

        _maxWindow = (int)Math.Clamp(next, _options.MaxPayload, _options.SendBuffer);
    }
}
