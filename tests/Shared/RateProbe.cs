using System.Diagnostics;
using System.Globalization;

namespace SmartShare.Tests.Shared;

/// <summary>
/// Measures the rate of a byte counter (a transfer's bytes received or sent, read through the API) by polling it.
/// A counter may move in steps (an LBRY stream counts whole 2 MiB blobs), so a rate is taken between the instants
/// the counter changed, not between arbitrary polls: bytes between two steps over the time between them.
/// </summary>
internal sealed class RateProbe
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    private readonly Func<Task<long>> _read;
    private readonly List<(double Seconds, long Bytes)> _changes = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _last = -1;

    public RateProbe(Func<Task<long>> read) => _read = read;

    /// <summary>Seconds since the probe was made.</summary>
    public double Now => _clock.Elapsed.TotalSeconds;

    /// <summary>Every change seen: when, and the counter after it.</summary>
    public IReadOnlyList<(double Seconds, long Bytes)> Changes => _changes;

    /// <summary>Polls until <paramref name="until"/> holds for the counter (or the time limit passes: false).</summary>
    public async Task<bool> PollUntilAsync(Func<long, double, bool> until, TimeSpan timeLimit)
    {
        var end = _clock.Elapsed + timeLimit;
        while (_clock.Elapsed < end)
        {
            var bytes = await _read();
            var now = Now;
            if (bytes != _last)
            {
                _changes.Add((now, bytes));
                _last = bytes;
            }

            if (until(bytes, now))
            {
                return true;
            }

            await Task.Delay(PollInterval);
        }

        return false;
    }

    /// <summary>
    /// The rate in bytes/s between the first change at or after <paramref name="from"/> seconds and the last change at
    /// or before <paramref name="to"/>; null when fewer than two changes fall there or they are under a second apart.
    /// </summary>
    public double? RateBetween(double from, double to)
    {
        var inside = _changes.Where(change => change.Seconds >= from && change.Seconds <= to).ToList();
        if (inside.Count < 2 || inside[^1].Seconds - inside[0].Seconds < 1)
        {
            return null;
        }

        return (inside[^1].Bytes - inside[0].Bytes) / (inside[^1].Seconds - inside[0].Seconds);
    }

    /// <summary>The changes as text, for a failure message.</summary>
    public string Describe() =>
        string.Join(", ", _changes.Select(change => string.Create(CultureInfo.InvariantCulture, $"{change.Seconds:0.00}s:{change.Bytes / 1024.0 / 1024:0.00}MiB")));
}
