using Microsoft.Data.Sqlite;
using SmartShare.Lbry.Blobs;
using SmartShare.Storage;

namespace SmartShare.Lbry.Streams;

/// <summary>The streams table: which streams the node holds and which blobs each is made of.</summary>
public sealed class StreamIndex
{
    private readonly SqliteDatabase _database;
    private readonly TimeProvider _time;

    internal StreamIndex(SqliteDatabase database, TimeProvider time)
    {
        _database = database;
        _time = time;
    }

    public void Add(BlobHash sdHash, StreamDescriptor descriptor, string? sourcePath)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        using var connection = _database.OpenConnection();
        using var transaction = connection.BeginTransaction();
        using (var stream = connection.CreateCommand())
        {
            stream.CommandText =
                "INSERT INTO streams (sd_hash, stream_hash, stream_name, suggested_file_name, blob_count, size_upper_bound, source_path, created_at) " +
                "VALUES ($sd, $stream, $name, $suggested, $count, $size, $source, $now) " +
                "ON CONFLICT(sd_hash) DO UPDATE SET source_path = COALESCE(excluded.source_path, streams.source_path)";
            stream.Parameters.AddWithValue("$sd", sdHash.ToString());
            stream.Parameters.AddWithValue("$stream", descriptor.StreamHash);
            stream.Parameters.AddWithValue("$name", descriptor.StreamName);
            stream.Parameters.AddWithValue("$suggested", descriptor.SuggestedFileName);
            stream.Parameters.AddWithValue("$count", descriptor.DataBlobCount);
            stream.Parameters.AddWithValue("$size", descriptor.PlaintextUpperBound);
            stream.Parameters.AddWithValue("$source", (object?)sourcePath ?? DBNull.Value);
            stream.Parameters.AddWithValue("$now", _time.GetUtcNow().ToUnixTimeSeconds());
            stream.ExecuteNonQuery();
        }

        using (var blob = connection.CreateCommand())
        {
            blob.CommandText =
                "INSERT OR IGNORE INTO stream_blobs (sd_hash, blob_num, blob_hash, length) VALUES ($sd, $num, $hash, $length)";
            var sd = blob.Parameters.Add("$sd", SqliteType.Text);
            var num = blob.Parameters.Add("$num", SqliteType.Integer);
            var hash = blob.Parameters.Add("$hash", SqliteType.Text);
            var length = blob.Parameters.Add("$length", SqliteType.Integer);
            blob.Prepare();
            sd.Value = sdHash.ToString();
            foreach (var info in descriptor.DataBlobs)
            {
                num.Value = info.BlobNum;
                hash.Value = info.BlobHash!.Value.ToString();
                length.Value = info.Length;
                blob.ExecuteNonQuery();
            }
        }

        transaction.Commit();
    }

    public StreamRecord? Find(BlobHash sdHash)
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = SelectStreams + " WHERE sd_hash = $sd";
        command.Parameters.AddWithValue("$sd", sdHash.ToString());
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadRecord(reader) : null;
    }

    /// <summary>The streams <paramref name="blob"/> belongs to: the one it describes (an sd blob) or those it is a data blob of.</summary>
    public IReadOnlyList<BlobHash> StreamsContaining(BlobHash blob)
    {
        var streams = new List<BlobHash>();
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText =
            "SELECT sd_hash FROM streams WHERE sd_hash = $blob UNION SELECT sd_hash FROM stream_blobs WHERE blob_hash = $blob";
        command.Parameters.AddWithValue("$blob", blob.ToString());
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            streams.Add(BlobHash.Parse(reader.GetString(0)));
        }

        return streams;
    }

    /// <summary>The data blobs the index records for a stream (none for a stream it does not hold).</summary>
    public IReadOnlyList<BlobHash> BlobsOf(BlobHash sdHash)
    {
        var blobs = new List<BlobHash>();
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT blob_hash FROM stream_blobs WHERE sd_hash = $sd ORDER BY blob_num";
        command.Parameters.AddWithValue("$sd", sdHash.ToString());
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            blobs.Add(BlobHash.Parse(reader.GetString(0)));
        }

        return blobs;
    }

    /// <summary>
    /// Forgets a stream and its blob list: it is no longer announced, and <see cref="StreamsContaining"/> no longer
    /// names it. Returns whether it was indexed.
    /// </summary>
    public bool Remove(BlobHash sdHash)
    {
        using var connection = _database.OpenConnection();
        using var transaction = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM stream_blobs WHERE sd_hash = $sd; DELETE FROM streams WHERE sd_hash = $sd";
        command.Parameters.AddWithValue("$sd", sdHash.ToString());
        command.ExecuteNonQuery();
        using var count = connection.CreateCommand();
        count.CommandText = "SELECT changes()";
        var removed = count.ExecuteScalar() is long changes && changes > 0;
        transaction.Commit();
        return removed;
    }

    public IReadOnlyList<StreamRecord> List()
    {
        var records = new List<StreamRecord>();
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = SelectStreams + " ORDER BY created_at, sd_hash";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            records.Add(ReadRecord(reader));
        }

        return records;
    }

    private const string SelectStreams =
        "SELECT sd_hash, stream_hash, stream_name, suggested_file_name, blob_count, size_upper_bound, source_path, created_at FROM streams";

    private static StreamRecord ReadRecord(SqliteDataReader reader) => new(
        BlobHash.Parse(reader.GetString(0)),
        reader.GetString(1),
        reader.GetString(2),
        reader.GetString(3),
        reader.GetInt32(4),
        reader.GetInt64(5),
        reader.IsDBNull(6) ? null : reader.GetString(6),
        DateTimeOffset.FromUnixTimeSeconds(reader.GetInt64(7)));
}
