namespace SmartShare.Cli.Commands;

/// <summary>
/// When a command following a download polls the node next: every <see cref="Interval"/> for the progress line, but
/// sooner when the end is near, so the command notices it within milliseconds rather than up to a whole interval later
/// (half an interval on average: 50 ms of every fast download). The end is near when the rate seen between the last
/// two polls finishes the rest within the interval, when every byte is in and only the node's last step (the check,
/// the rename) is left, and in a transfer's first moments, when no rate is known yet and a small download may already
/// be over. Quick polls are bounded in time (<see cref="QuickFor"/>), so a transfer stuck at any of these points falls
/// back to the interval.
/// </summary>
internal sealed class FollowPace(TimeSpan interval)
{
    /// <summary>The shortest wait between two polls.</summary>
    public static readonly TimeSpan Quick = TimeSpan.FromMilliseconds(10);

    /// <summary>How long the first moments, or the wait after the last byte, are polled every <see cref="Quick"/>.</summary>
    public static readonly TimeSpan QuickFor = TimeSpan.FromMilliseconds(200);

    private TimeSpan? _firstAt;
    private TimeSpan? _fullAt;
    private TimeSpan _lastAt;
    private long _lastHave;

    public TimeSpan Interval { get; } = interval;

    /// <summary>The wait before the next poll, given what this poll saw at <paramref name="now"/> (time since any fixed start).</summary>
    public TimeSpan Next(TimeSpan now, long have, long total)
    {
        var known = _firstAt is not null;
        var (previousAt, previousHave) = (_lastAt, _lastHave);
        _firstAt ??= now;
        (_lastAt, _lastHave) = (now, have);
        if (total > 0 && have >= total)
        {
            _fullAt ??= now;
            return now - _fullAt.Value < QuickFor ? Quick : Interval;
        }

        var elapsed = now - previousAt;
        if (!known || total <= 0 || have <= previousHave || elapsed <= TimeSpan.Zero)
        {
            return now - _firstAt.Value < QuickFor ? Quick : Interval;
        }

        var left = TimeSpan.FromSeconds((total - have) * elapsed.TotalSeconds / (have - previousHave));
        return left >= Interval ? Interval : left <= Quick ? Quick : left;
    }
}
