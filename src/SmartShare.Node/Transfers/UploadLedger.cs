using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using SmartShare.Storage;

namespace SmartShare.Node.Transfers;

/// <summary>
/// The bytes each transfer has uploaded, over every run of the node: the total stored in the <c>transfers</c> table's
/// <c>uploaded</c> column plus what was sent since the last flush. LBRY uploads are added blob by blob as the blob
/// server sends them; a torrent's come from its session's own counter, which restarts at 0 with every session, so the
/// ledger adds what grew since it last looked (<see cref="Observe"/>). Flushed by <see cref="UploadFlusher"/>
/// every <see cref="UploadFlusher.Interval"/>, when the node stops, and when the ledger is disposed.
/// </summary>
public sealed class UploadLedger : IDisposable
{
    private readonly SqliteDatabase _database;
    private readonly ConcurrentDictionary<TransferKey, long> _stored = new();
    private readonly ConcurrentDictionary<TransferKey, long> _pending = new();
    private readonly Dictionary<TransferKey, (object Session, long Seen)> _sessions = [];
    private readonly Lock _lock = new();

    internal UploadLedger(SqliteDatabase database)
    {
        _database = database;
        using var connection = database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT key, network, uploaded FROM transfers WHERE uploaded > 0";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var network = reader.GetString(1) == "torrent" ? TransferNetwork.Torrent : TransferNetwork.Stream;
            _stored[new TransferKey(network, reader.GetString(0))] = reader.GetInt64(2);
        }
    }

    /// <summary>Counts <paramref name="bytes"/> sent to a peer for the transfer.</summary>
    public void Add(TransferKey key, long bytes)
    {
        if (bytes > 0)
        {
            _pending.AddOrUpdate(key, bytes, (_, pending) => pending + bytes);
        }
    }

    /// <summary>
    /// Takes a running session's upload counter: what it grew by since the last look is added. A new session object
    /// (the torrent was paused and resumed, or the node restarted) starts its count from 0.
    /// </summary>
    public void Observe(TransferKey key, object session, long sessionUploaded)
    {
        ArgumentNullException.ThrowIfNull(session);
        long grown;
        lock (_lock)
        {
            var same = _sessions.TryGetValue(key, out var last) && ReferenceEquals(last.Session, session);
            if (same && last.Seen == sessionUploaded)
            {
                // Nothing sent since the last look (the queue's round looks at every seed every 2 s).
                return;
            }

            grown = same ? sessionUploaded - last.Seen : sessionUploaded;
            _sessions[key] = (session, sessionUploaded);
        }

        Add(key, grown);
    }

    /// <summary>Every byte the transfer has uploaded, in this run and before.</summary>
    public long Total(TransferKey key) => _stored.GetValueOrDefault(key) + _pending.GetValueOrDefault(key);

    /// <summary>Writes what was counted since the last flush into the <c>transfers</c> table.</summary>
    public void Flush()
    {
        lock (_lock)
        {
            if (_pending.IsEmpty)
            {
                return;
            }

            using var connection = _database.OpenConnection();
            using var transaction = connection.BeginTransaction();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE transfers SET uploaded = uploaded + $bytes WHERE key = $key";
            var bytes = command.Parameters.Add("$bytes", Microsoft.Data.Sqlite.SqliteType.Integer);
            var key = command.Parameters.Add("$key", Microsoft.Data.Sqlite.SqliteType.Text);
            var taken = new List<(TransferKey Key, long Bytes)>();
            try
            {
                foreach (var entry in _pending.Keys)
                {
                    if (_pending.TryRemove(entry, out var count))
                    {
                        taken.Add((entry, count));
                        bytes.Value = count;
                        key.Value = entry.Hash;
                        command.ExecuteNonQuery();
                    }
                }

                transaction.Commit();
            }
            catch
            {
                // Nothing was written: count it again at the next flush.
                foreach (var (entry, count) in taken)
                {
                    Add(entry, count);
                }

                throw;
            }

            foreach (var (entry, count) in taken)
            {
                _stored.AddOrUpdate(entry, count, (_, stored) => stored + count);
            }
        }
    }

    public void Dispose() => Flush();
}

/// <summary>Flushes the <see cref="UploadLedger"/> periodically and when the node stops, after a last look at every running session.</summary>
internal sealed class UploadFlusher(UploadLedger ledger, TransferManager transfers, TimeProvider time) : IHostedService, IAsyncDisposable
{
    /// <summary>How often upload totals reach the database: a crash loses at most this much of them.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    private readonly List<TransferStatus> _statuses = [];
    private ITimer? _timer;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _timer = time.CreateTimer(static state => ((UploadFlusher)state!).Tick(), this, Interval, Interval);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await DisposeAsync();
        Tick();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _timer, null) is { } timer)
        {
            await timer.DisposeAsync();
        }
    }

    private void Tick()
    {
        try
        {
            // Reading the statuses looks at every torrent session's counter (no view built).
            transfers.ReadStatuses(_statuses);
            ledger.Flush();
        }
        catch (Exception ex) when (ex is StorageException or Microsoft.Data.Sqlite.SqliteException or IOException or ObjectDisposedException)
        {
            // The next tick (or the flush at stop) tries again; nothing counted is dropped.
        }
    }
}
