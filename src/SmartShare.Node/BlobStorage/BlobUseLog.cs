using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using SmartShare.Lbry.Blobs;
using SmartShare.Storage;

namespace SmartShare.Node.BlobStorage;

/// <summary>
/// When each blob was last used (served to a peer or read whole), for the storage limit's least-recently-used order.
/// A use is only noted in memory; <see cref="Flush"/> writes the noted uses in one transaction (the limiter flushes
/// before it evicts, on its timer and at stop), so serving costs no database write per blob. A kill loses at most the
/// uses since the last flush: those blobs look as old as their previous use, never younger.
/// </summary>
internal sealed class BlobUseLog(SqliteDatabase database, TimeProvider time)
{
    // More distinct blobs than this noted between flushes keeps only the newest notes' effect: the map is bounded.
    private const int MaxPending = 100_000;

    private readonly ConcurrentDictionary<BlobHash, long> _pending = new();

    public int Pending => _pending.Count;

    public void Touch(BlobHash hash)
    {
        if (_pending.Count >= MaxPending && !_pending.ContainsKey(hash))
        {
            Flush();
        }

        _pending[hash] = time.GetUtcNow().ToUnixTimeMilliseconds();
    }

    /// <summary>Writes the noted uses; a use noted again meanwhile stays noted for the next flush.</summary>
    public void Flush()
    {
        if (_pending.IsEmpty)
        {
            return;
        }

        var batch = _pending.ToArray();
        using (var connection = database.OpenConnection())
        using (var transaction = connection.BeginTransaction())
        {
            using var command = connection.CreateCommand();
            command.CommandText =
                "INSERT INTO blob_use (hash, last_used) VALUES ($hash, $used) " +
                "ON CONFLICT(hash) DO UPDATE SET last_used = MAX(blob_use.last_used, excluded.last_used)";
            var hash = command.Parameters.Add("$hash", SqliteType.Text);
            var used = command.Parameters.Add("$used", SqliteType.Integer);
            command.Prepare();
            foreach (var (blob, at) in batch)
            {
                hash.Value = blob.ToString();
                used.Value = at;
                command.ExecuteNonQuery();
            }

            transaction.Commit();
        }

        foreach (var (blob, at) in batch)
        {
            _pending.TryRemove(new KeyValuePair<BlobHash, long>(blob, at));
        }
    }

    /// <summary>Forgets the uses of blobs no longer in the store (removed streams, dropped blobs).</summary>
    public void Prune()
    {
        using var connection = database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM blob_use WHERE hash NOT IN (SELECT hash FROM blobs)";
        command.ExecuteNonQuery();
    }

    /// <summary>Forgets blobs that left the store.</summary>
    public void Forget(IEnumerable<BlobHash> blobs)
    {
        using var connection = database.OpenConnection();
        using var transaction = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM blob_use WHERE hash = $hash";
        var hash = command.Parameters.Add("$hash", SqliteType.Text);
        command.Prepare();
        foreach (var blob in blobs)
        {
            _pending.TryRemove(blob, out _);
            hash.Value = blob.ToString();
            command.ExecuteNonQuery();
        }

        transaction.Commit();
    }
}
