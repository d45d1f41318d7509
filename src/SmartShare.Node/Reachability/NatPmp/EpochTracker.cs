namespace SmartShare.Node.Reachability.NatPmp;

/// <summary>
/// Tells from a NAT-PMP/PCP gateway's epoch (seconds since its mapping state began) that it lost its state,
/// by RFC 6887 §8.5 (the same idea as RFC 6886 §3.6): the epoch went back by more than a second, or it moved
/// too differently from the client's own clock since the last answer.
/// </summary>
public sealed class EpochTracker
{
    private readonly Lock _lock = new();
    private uint? _previousEpoch;
    private DateTimeOffset _previousTime;

    /// <summary>Records an answer's epoch; true when it shows the gateway restarted since the previous answer.</summary>
    public bool Observe(uint epoch, DateTimeOffset now)
    {
        lock (_lock)
        {
            var previous = _previousEpoch;
            var previousTime = _previousTime;
            _previousEpoch = epoch;
            _previousTime = now;
            if (previous is not { } before)
            {
                return false;
            }

            if ((long)epoch < (long)before - 1)
            {
                return true;
            }

            var clientDelta = Math.Max(0, (now - previousTime).TotalSeconds);
            var serverDelta = (double)((long)epoch - before);
            return clientDelta + 2 < serverDelta - (serverDelta / 16) || serverDelta + 2 < clientDelta - (clientDelta / 16);
        }
    }

    /// <summary>Forgets the last epoch (a new gateway was found).</summary>
    public void Reset()
    {
        lock (_lock)
        {
            _previousEpoch = null;
        }
    }
}
