using SmartShare.Node.Transfers;

namespace SmartShare.Node.Remote;

/// <summary>
/// Transmission's numeric torrent ids for the node's transfers: 1, 2, 3 … in the order the endpoint first sees them
/// (the transfer list is oldest first), stable for the node's run and never reused, so a transfer removed and added
/// again gets a new one. It also remembers, for <c>ids: "recently-active"</c>, when each transfer last changed and
/// which ids went away in the last minute.
/// </summary>
internal sealed class TransmissionIds(TimeProvider time)
{
    /// <summary>How long a removed id is reported and a change counts as recent activity (Transmission's minute).</summary>
    public static readonly TimeSpan RecentWindow = TimeSpan.FromSeconds(60);

    // A node holds far fewer transfers; past this many removals remembered, the oldest are forgotten early.
    private const int MaxRemembered = 10_000;

    private readonly Lock _lock = new();
    private readonly Dictionary<TransferKey, Entry> _entries = [];
    private readonly List<(int Id, DateTimeOffset At)> _removed = [];
    private int _last;

    /// <summary>The transfers as listed now, each with its id (new ones get the next ids); transfers gone since the last look count as removed.</summary>
    public IReadOnlyList<(int Id, Transfer Transfer)> Sync(IReadOnlyList<Transfer> transfers)
    {
        ArgumentNullException.ThrowIfNull(transfers);
        var now = time.GetUtcNow();
        lock (_lock)
        {
            var result = new List<(int, Transfer)>(transfers.Count);
            var seen = new HashSet<TransferKey>();
            foreach (var transfer in transfers)
            {
                if (!seen.Add(transfer.Key))
                {
                    continue;
                }

                var signature = Signature(transfer);
                if (!_entries.TryGetValue(transfer.Key, out var entry))
                {
                    entry = new Entry(++_last, signature, now);
                    _entries[transfer.Key] = entry;
                }
                else if (entry.Signature != signature)
                {
                    entry = entry with { Signature = signature, ChangedAt = now };
                    _entries[transfer.Key] = entry;
                }

                result.Add((entry.Id, transfer));
            }

            foreach (var gone in _entries.Keys.Where(key => !seen.Contains(key)).ToList())
            {
                RemoveLocked(gone, now);
            }

            Prune(now);
            return [.. result.OrderBy(entry => entry.Item1)];
        }
    }

    /// <summary>Records at once that a transfer was removed through this endpoint.</summary>
    public void Removed(TransferKey key)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            RemoveLocked(key, now);
            Prune(now);
        }
    }

    /// <summary>The ids removed in the last minute.</summary>
    public IReadOnlyList<int> RecentlyRemoved()
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            Prune(now);
            return [.. _removed.Select(removed => removed.Id)];
        }
    }

    /// <summary>When the transfer's state, bytes held or bytes sent last changed (or it was first seen); null when unknown.</summary>
    public DateTimeOffset? LastChange(TransferKey key)
    {
        lock (_lock)
        {
            return _entries.TryGetValue(key, out var entry) ? entry.ChangedAt : null;
        }
    }

    /// <summary>Whether the transfer moved in the last minute: data flowing, or its state or bytes changed.</summary>
    public bool IsRecentlyActive(Transfer transfer)
    {
        ArgumentNullException.ThrowIfNull(transfer);
        if (transfer.Progress.DownloadRate >= 1 || transfer.Progress.UploadRate >= 1)
        {
            return true;
        }

        return LastChange(transfer.Key) is { } changed && time.GetUtcNow() - changed <= RecentWindow;
    }

    private void RemoveLocked(TransferKey key, DateTimeOffset now)
    {
        if (_entries.Remove(key, out var entry))
        {
            _removed.Add((entry.Id, now));
        }
    }

    private void Prune(DateTimeOffset now)
    {
        _removed.RemoveAll(removed => now - removed.At > RecentWindow);
        if (_removed.Count > MaxRemembered)
        {
            _removed.RemoveRange(0, _removed.Count - MaxRemembered);
        }
    }

    private static (TransferState, long, long) Signature(Transfer transfer) =>
        (transfer.State, transfer.Progress.BytesHave, transfer.Progress.Uploaded);

    private sealed record Entry(int Id, (TransferState State, long Have, long Uploaded) Signature, DateTimeOffset ChangedAt);
}
