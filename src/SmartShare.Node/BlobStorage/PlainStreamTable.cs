using Microsoft.Data.Sqlite;
using SmartShare.IO;
using SmartShare.Lbry.Blobs;
using SmartShare.Storage;

namespace SmartShare.Node.BlobStorage;

/// <summary>
/// One row of <c>plain_streams</c>: a stream held as its plain file, with the stamp its content was verified or vouched
/// for at, or found broken (<see cref="Broken"/> says why; the stamp is then the file's when it was last looked at).
/// </summary>
internal sealed record PlainStreamRow(BlobHash SdHash, string Path, FileStamp Stamp, bool BlobsDropped, string? Broken)
{
    /// <summary>The stream's plaintext length, the file's length when held.</summary>
    public long Length => Stamp.Length;
}

/// <summary>The <c>plain_streams</c> table (see <see cref="HostingDatabase"/>).</summary>
internal sealed class PlainStreamTable(SqliteDatabase database, TimeProvider time)
{
    public void Upsert(BlobHash sdHash, string path, FileStamp stamp, bool blobsDropped, string? broken)
    {
        using var connection = database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText =
            "INSERT INTO plain_streams (sd_hash, path, length, modified_ticks, changed_ticks, blobs_dropped, broken, checked_at) " +
            "VALUES ($sd, $path, $length, $modified, $changed, $dropped, $broken, $now) " +
            "ON CONFLICT(sd_hash) DO UPDATE SET path = excluded.path, length = excluded.length, modified_ticks = excluded.modified_ticks, " +
            "changed_ticks = excluded.changed_ticks, " +
            "blobs_dropped = MAX(plain_streams.blobs_dropped, excluded.blobs_dropped), broken = excluded.broken, checked_at = excluded.checked_at";
        command.Parameters.AddWithValue("$sd", sdHash.ToString());
        command.Parameters.AddWithValue("$path", path);
        command.Parameters.AddWithValue("$length", stamp.Length);
        command.Parameters.AddWithValue("$modified", stamp.LastWriteUtcTicks);
        command.Parameters.AddWithValue("$changed", stamp.ChangeUtcTicks);
        command.Parameters.AddWithValue("$dropped", blobsDropped ? 1 : 0);
        command.Parameters.AddWithValue("$broken", (object?)broken ?? DBNull.Value);
        command.Parameters.AddWithValue("$now", time.GetUtcNow().ToUnixTimeSeconds());
        command.ExecuteNonQuery();
    }

    public PlainStreamRow? Find(BlobHash sdHash) => Query(" WHERE sd_hash = $sd", sdHash).FirstOrDefault();

    public IReadOnlyList<PlainStreamRow> List() => Query(" ORDER BY sd_hash", null);

    public void Delete(BlobHash sdHash)
    {
        using var connection = database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM plain_streams WHERE sd_hash = $sd";
        command.Parameters.AddWithValue("$sd", sdHash.ToString());
        command.ExecuteNonQuery();
    }

    private List<PlainStreamRow> Query(string where, BlobHash? sdHash)
    {
        using var connection = database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT sd_hash, path, length, modified_ticks, changed_ticks, blobs_dropped, broken FROM plain_streams" + where;
        if (sdHash is { } sd)
        {
            command.Parameters.AddWithValue("$sd", sd.ToString());
        }

        using var reader = command.ExecuteReader();
        var rows = new List<PlainStreamRow>();
        while (reader.Read())
        {
            if (BlobHash.TryParse(reader.GetString(0), out var hash))
            {
                rows.Add(new PlainStreamRow(
                    hash,
                    reader.GetString(1),
                    new FileStamp(reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4)),
                    reader.GetInt64(5) != 0,
                    reader.IsDBNull(6) ? null : reader.GetString(6)));
            }
        }

        return rows;
    }
}
