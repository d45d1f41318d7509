using Microsoft.Data.Sqlite;
using SmartShare.Lbry;
using SmartShare.Storage;

namespace SmartShare.Node.Transfers.Queueing;

/// <summary>
/// The queue's state, kept in the node's database as its own component (<c>transfer_queue</c>, one row per transfer
/// keyed by its sd hash or info hash): each transfer's queue position (0 starts next), whether it waits for a slot, its
/// own seeding goals, the time it has seeded and why it stopped. Every change is written before the call returns, so
/// a kill at any moment finds the same order and the same waiting set at the next start. Thread-safe.
/// </summary>
public sealed class TransferSchedule
{
    public const string Component = "transfer_queue";

    private static readonly string[] Schema =
    [
        // ratio_limit, time_limit (minutes), idle_limit (minutes), goal_action: null for the node's setting, 0 for none.
        """
        CREATE TABLE transfer_queue (
            key TEXT PRIMARY KEY,
            position INTEGER NOT NULL,
            waiting INTEGER NOT NULL DEFAULT 0,
            ratio_limit REAL,
            time_limit INTEGER,
            idle_limit INTEGER,
            goal_action TEXT,
            seeding_ms INTEGER NOT NULL DEFAULT 0,
            stop_reason TEXT,
            stop_goal TEXT
        )
        """,
    ];

    private readonly SqliteDatabase _database;
    private readonly Lock _lock = new();
    private readonly List<TransferKey> _order = [];
    private readonly Dictionary<TransferKey, ScheduleEntry> _entries = [];
    private readonly Dictionary<TransferKey, long> _seeding = []; // milliseconds seeded, over every run (none: 0)
    private readonly HashSet<TransferKey> _seedingUnsaved = []; // seeding time added in memory, not yet in the table
    private Dictionary<TransferKey, int>? _positions; // each key's index in _order; null after a move or removal, rebuilt when asked

    private TransferSchedule(SqliteDatabase database)
    {
        _database = database;
        using var connection = database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT key, waiting, ratio_limit, time_limit, idle_limit, goal_action, seeding_ms, stop_reason, stop_goal FROM transfer_queue ORDER BY position, key";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            if (!TransferKey.TryParse(reader.GetString(0), out var key))
            {
                continue;
            }

            var goals = new SeedingGoalOverrides(
                reader.IsDBNull(2) ? null : reader.GetDouble(2),
                reader.IsDBNull(3) ? null : reader.GetInt32(3),
                reader.IsDBNull(4) ? null : reader.GetInt32(4),
                reader.IsDBNull(5) ? null : reader.GetString(5) == "remove" ? SeedingGoalAction.Remove : SeedingGoalAction.Stop);
            _entries[key] = new ScheduleEntry(key, reader.GetInt64(1) != 0, goals, reader.IsDBNull(7) ? null : reader.GetString(7), reader.IsDBNull(8) ? null : reader.GetString(8));
            if (reader.GetInt64(6) is > 0 and var seeded)
            {
                _seeding[key] = seeded;
            }

            _order.Add(key);
        }
    }

    /// <summary>Opens (creating) the queue's table in the node's database in <paramref name="dataDirectory"/>.</summary>
    public static TransferSchedule Open(string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(dataDirectory);
        var path = Path.Combine(Path.GetFullPath(dataDirectory), LbryStorage.DatabaseFileName);
        return new TransferSchedule(SqliteDatabase.Open(path, Component, Schema));
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _order.Count;
            }
        }
    }

    /// <summary>Whether any transfer waits for a slot (without copying the entries, as <see cref="Ordered"/> does).</summary>
    public bool AnyWaiting
    {
        get
        {
            lock (_lock)
            {
                foreach (var entry in _entries.Values)
                {
                    if (entry.Waiting)
                    {
                        return true;
                    }
                }

                return false;
            }
        }
    }

    /// <summary>The transfer's entry, made (last in the queue) if it has none yet.</summary>
    public ScheduleEntry Ensure(TransferKey key)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var entry))
            {
                return entry;
            }

            entry = ScheduleEntry.New(key);
            Write(entry, _order.Count);
            _entries[key] = entry;
            _positions?.Add(key, _order.Count);
            _order.Add(key);
            return entry;
        }
    }

    public ScheduleEntry? Find(TransferKey key)
    {
        lock (_lock)
        {
            return _entries.GetValueOrDefault(key);
        }
    }

    /// <summary>The transfer's queue position (0 starts next), or null when it has no entry.</summary>
    public int? Position(TransferKey key)
    {
        lock (_lock)
        {
            var index = IndexOfLocked(key);
            return index < 0 ? null : index;
        }
    }

    // A list's IndexOf made every listing of N transfers cost N², seconds for thousands: positions come from a map,
    // rebuilt (once, O(N)) after the order changed other than at its end.
    private int IndexOfLocked(TransferKey key)
    {
        if (_positions is null)
        {
            _positions = new Dictionary<TransferKey, int>(_order.Count);
            for (var i = 0; i < _order.Count; i++)
            {
                _positions[_order[i]] = i;
            }
        }

        return _positions.TryGetValue(key, out var index) ? index : -1;
    }

    /// <summary>How long the transfer has seeded, over every run (zero without an entry).</summary>
    public TimeSpan SeedingTime(TransferKey key)
    {
        lock (_lock)
        {
            return TimeSpan.FromMilliseconds(_seeding.GetValueOrDefault(key));
        }
    }

    /// <summary>Every entry in queue order.</summary>
    public IReadOnlyList<ScheduleEntry> Ordered()
    {
        var entries = new List<ScheduleEntry>();
        CopyOrdered(entries);
        return entries;
    }

    /// <summary>Fills <paramref name="entries"/> (emptied first) with every entry in queue order: a caller that keeps the list (the queue's round) allocates none.</summary>
    public void CopyOrdered(List<ScheduleEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        lock (_lock)
        {
            entries.Clear();
            foreach (var key in _order)
            {
                entries.Add(_entries[key]);
            }
        }
    }

    /// <summary>Changes an entry (made if missing) and writes it.</summary>
    public ScheduleEntry Update(TransferKey key, Func<ScheduleEntry, ScheduleEntry> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        lock (_lock)
        {
            var entry = change(Ensure(key));
            if (entry != _entries[key])
            {
                Write(entry, IndexOfLocked(key));
                _entries[key] = entry;
            }

            return entry;
        }
    }

    /// <summary>Moves a transfer to <paramref name="position"/> (clamped to the queue), the others keeping their order; returns where it is now.</summary>
    public int Move(TransferKey key, int position)
    {
        lock (_lock)
        {
            Ensure(key);
            var from = IndexOfLocked(key);
            var to = Math.Clamp(position, 0, _order.Count - 1);
            if (from == to)
            {
                return to;
            }

            _order.RemoveAt(from);
            _order.Insert(to, key);
            _positions = null;
            WritePositions(Math.Min(from, to), Math.Max(from, to));
            return to;
        }
    }

    /// <summary>
    /// Adds <paramref name="milliseconds"/> of seeding time to each entry of <paramref name="seeded"/>: in memory at
    /// once (the goals see it), in the table when <paramref name="persist"/> (the scheduler asks every
    /// <see cref="TransferScheduler.SeedingSaveInterval"/> and when it stops): one UPDATE per seeding torrent every
    /// tick cost thousands of writes every 2 s on a node seeding thousands. A kill loses at most that interval of
    /// seeding time, never anything else.
    /// </summary>
    public void AddSeeding(IReadOnlyCollection<TransferKey> seeded, long milliseconds, bool persist = true)
    {
        ArgumentNullException.ThrowIfNull(seeded);
        lock (_lock)
        {
            foreach (var key in seeded)
            {
                if (_entries.ContainsKey(key))
                {
                    _seeding[key] = _seeding.GetValueOrDefault(key) + milliseconds;
                    _seedingUnsaved.Add(key);
                }
            }

            if (!persist || _seedingUnsaved.Count == 0)
            {
                return;
            }

            using var connection = _database.OpenConnection();
            using var transaction = connection.BeginTransaction();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE transfer_queue SET seeding_ms = $ms WHERE key = $key";
            var ms = command.Parameters.Add("$ms", SqliteType.Integer);
            var keyParameter = command.Parameters.Add("$key", SqliteType.Text);
            foreach (var key in _seedingUnsaved)
            {
                if (_entries.ContainsKey(key))
                {
                    ms.Value = _seeding.GetValueOrDefault(key);
                    keyParameter.Value = key.Hash;
                    command.ExecuteNonQuery();
                }
            }

            transaction.Commit();
            _seedingUnsaved.Clear();
        }
    }

    /// <summary>Forgets a removed transfer; the ones behind it move up.</summary>
    public bool Remove(TransferKey key)
    {
        lock (_lock)
        {
            var index = IndexOfLocked(key);
            if (index < 0)
            {
                return false;
            }

            using (var connection = _database.OpenConnection())
            using (var transaction = connection.BeginTransaction())
            {
                using var delete = connection.CreateCommand();
                delete.CommandText = "DELETE FROM transfer_queue WHERE key = $key";
                delete.Parameters.AddWithValue("$key", key.Hash);
                delete.ExecuteNonQuery();
                using var shift = connection.CreateCommand();
                shift.CommandText = "UPDATE transfer_queue SET position = position - 1 WHERE position > $position";
                shift.Parameters.AddWithValue("$position", index);
                shift.ExecuteNonQuery();
                transaction.Commit();
            }

            _order.RemoveAt(index);
            _positions = null;
            _entries.Remove(key);
            _seeding.Remove(key);
            return true;
        }
    }

    private void Write(ScheduleEntry entry, int position)
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO transfer_queue (key, position, waiting, ratio_limit, time_limit, idle_limit, goal_action, seeding_ms, stop_reason, stop_goal)
            VALUES ($key, $position, $waiting, $ratio, $time, $idle, $action, $ms, $reason, $goal)
            ON CONFLICT(key) DO UPDATE SET position = excluded.position, waiting = excluded.waiting, ratio_limit = excluded.ratio_limit,
                time_limit = excluded.time_limit, idle_limit = excluded.idle_limit, goal_action = excluded.goal_action,
                seeding_ms = excluded.seeding_ms, stop_reason = excluded.stop_reason, stop_goal = excluded.stop_goal
            """;
        command.Parameters.AddWithValue("$key", entry.Key.Hash);
        command.Parameters.AddWithValue("$position", position);
        command.Parameters.AddWithValue("$waiting", entry.Waiting ? 1 : 0);
        command.Parameters.AddWithValue("$ratio", (object?)entry.Goals.Ratio ?? DBNull.Value);
        command.Parameters.AddWithValue("$time", (object?)entry.Goals.TimeMinutes ?? DBNull.Value);
        command.Parameters.AddWithValue("$idle", (object?)entry.Goals.IdleMinutes ?? DBNull.Value);
        command.Parameters.AddWithValue("$action", entry.Goals.Action is { } action ? SeedingGoals.ActionName(action) : DBNull.Value);
        command.Parameters.AddWithValue("$ms", _seeding.GetValueOrDefault(entry.Key));
        command.Parameters.AddWithValue("$reason", (object?)entry.StopReason ?? DBNull.Value);
        command.Parameters.AddWithValue("$goal", (object?)entry.StopGoal ?? DBNull.Value);
        command.ExecuteNonQuery();
    }

    // Rewrites the positions of the entries from index first to last (inclusive) in one transaction.
    private void WritePositions(int first, int last)
    {
        using var connection = _database.OpenConnection();
        using var transaction = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE transfer_queue SET position = $position WHERE key = $key";
        var position = command.Parameters.Add("$position", SqliteType.Integer);
        var key = command.Parameters.Add("$key", SqliteType.Text);
        for (var i = first; i <= last; i++)
        {
            position.Value = i;
            key.Value = _order[i].Hash;
            command.ExecuteNonQuery();
        }

        transaction.Commit();
    }
}
