using System.Net;

namespace SmartShare.Node.Http;

/// <summary>
/// Slows password guessing per client address: after <see cref="FreeFailures"/> wrong passwords in a row, each
/// wrong one locks the address out for twice as long as the last (1 s, 2 s, 4 s … at most <see cref="MaxLockout"/>);
/// a right password clears the record. Locked-out attempts are refused without the
/// password being checked, so a flood costs no hashing. The table is bounded.
/// </summary>
public sealed class LoginThrottle(TimeProvider time)
{
    public const int FreeFailures = 5;
    public const int MaxTrackedAddresses = 10_000;

    public static readonly TimeSpan MaxLockout = TimeSpan.FromMinutes(5);

    /// <summary>A record is forgotten this long after its last failure.</summary>
    private static readonly TimeSpan Memory = TimeSpan.FromHours(1);

    private readonly Dictionary<IPAddress, Record> _records = [];
    private readonly Lock _lock = new();

    /// <summary>How long <paramref name="address"/> must still wait before its next attempt; zero when it may try now.</summary>
    public TimeSpan RetryAfter(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var now = time.GetUtcNow();
        lock (_lock)
        {
            return _records.TryGetValue(address, out var record) && record.LockedUntil > now ? record.LockedUntil - now : TimeSpan.Zero;
        }
    }

    public void Failed(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (!_records.TryGetValue(address, out var record))
            {
                if (_records.Count >= MaxTrackedAddresses)
                {
                    Prune(now);
                }

                record = new Record();
                _records[address] = record;
            }

            record.Failures++;
            record.LastFailure = now;
            if (record.Failures >= FreeFailures)
            {
                var doublings = Math.Min(record.Failures - FreeFailures, 20);
                var lockout = TimeSpan.FromSeconds(Math.Min(Math.Pow(2, doublings), MaxLockout.TotalSeconds));
                record.LockedUntil = now + lockout;
            }
        }
    }

    /// <summary>How many addresses the table holds now (bounded by <see cref="MaxTrackedAddresses"/>).</summary>
    public int TrackedCount
    {
        get
        {
            lock (_lock)
            {
                return _records.Count;
            }
        }
    }

    public void Succeeded(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        lock (_lock)
        {
            _records.Remove(address);
        }
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var (address, record) in _records.ToList())
        {
            if (now - record.LastFailure > Memory && record.LockedUntil <= now)
            {
                _records.Remove(address);
            }
        }

        if (_records.Count >= MaxTrackedAddresses)
        {
            // Still full of recent failures: drop the oldest half rather than grow.
            foreach (var (address, _) in _records.OrderBy(pair => pair.Value.LastFailure).Take(_records.Count / 2).ToList())
            {
                _records.Remove(address);
            }
        }
    }

    private sealed class Record
    {
        public int Failures { get; set; }

        public DateTimeOffset LastFailure { get; set; }

        public DateTimeOffset LockedUntil { get; set; }
    }
}
