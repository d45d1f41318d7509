using Microsoft.Data.Sqlite;
using SmartShare.Lbry;
using SmartShare.Lbry.Blobs;
using SmartShare.Storage;

namespace SmartShare.Node.BlobStorage;

/// <summary>What one eviction pass did.</summary>
internal sealed record EvictionResult(long UsedBefore, long UsedAfter, long Limit, int Evicted, long EvictedBytes, long PinnedBytes);

/// <summary>
/// One pass of the storage limit: when the blobs' bytes (summed from the <c>blobs</c> index, which start-up reconciles
/// with the folder, so the total is recomputed, never carried) exceed the limit, deletes cached blobs, least recently
/// used first (last served or read, else when added), until the total is within it. Pinned blobs (<see cref="BlobPins"/>)
/// are never deleted, even if the limit cannot be met.
/// </summary>
internal sealed class BlobEviction(LbryStorage storage, SqliteDatabase database, BlobUseLog uses)
{
    /// <param name="limitBytes">The limit; 0 for none.</param>
    /// <param name="pins">What may not be evicted, asked only when the store is over the limit (it reads descriptors).</param>
    public EvictionResult Run(long limitBytes, Func<IReadOnlySet<BlobHash>> pins)
    {
        ArgumentNullException.ThrowIfNull(pins);
        var (_, used) = storage.Blobs.Totals();
        if (limitBytes <= 0 || used <= limitBytes)
        {
            return new EvictionResult(used, used, limitBytes, 0, 0, 0);
        }

        var pinned = pins();
        uses.Flush();
        var evicted = new List<BlobHash>();
        long evictedBytes = 0;
        long pinnedBytes = 0;
        var remaining = used;
        foreach (var (hash, length) in OldestFirst())
        {
            if (remaining <= limitBytes)
            {
                break;
            }

            if (pinned.Contains(hash))
            {
                pinnedBytes += length;
                continue;
            }

            try
            {
                storage.Blobs.Delete(hash);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or SqliteException)
            {
                continue;
            }

            evicted.Add(hash);
            evictedBytes += length;
            remaining -= length;
        }

        if (evicted.Count > 0)
        {
            uses.Forget(evicted);
        }

        return new EvictionResult(used, storage.Blobs.Totals().Bytes, limitBytes, evicted.Count, evictedBytes, pinnedBytes);
    }

    // Read whole before deleting anything: the rows are a few hundred bytes each, and deleting under an open reader
    // of the same table would block on SQLite's lock.
    private List<(BlobHash Hash, long Length)> OldestFirst()
    {
        var rows = new List<(BlobHash, long)>();
        using var connection = database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText =
            "SELECT b.hash, b.length FROM blobs b LEFT JOIN blob_use u ON u.hash = b.hash " +
            "ORDER BY COALESCE(u.last_used, b.added_at * 1000), b.hash";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            if (BlobHash.TryParse(reader.GetString(0), out var hash))
            {
                rows.Add((hash, reader.GetInt64(1)));
            }
        }

        return rows;
    }
}
