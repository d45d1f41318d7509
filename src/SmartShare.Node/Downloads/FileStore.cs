using System.Net;
using Microsoft.Data.Sqlite;
using SmartShare.Lbry;
using SmartShare.Lbry.Blobs;
using SmartShare.Storage;

namespace SmartShare.Node.Downloads;

/// <summary>The node's streams in SQLite (the stream rows of the <c>transfers</c> table), so downloads survive a restart.</summary>
public sealed class FileStore
{
    // The stream rows under the column names the record reader knows.
    private const string Select =
        "SELECT key AS sd_hash, direction AS kind, status, download_directory, path, name AS stream_name, error, peers, added_at, completed_at, private " +
        "FROM transfers WHERE network = 'stream'";

    private readonly SqliteDatabase _database;

    internal FileStore(SqliteDatabase database)
    {
        _database = database;
    }

    public static FileStore Open(string dataDirectory) => new(Transfers.TransferDatabase.Open(dataDirectory));

    /// <summary>Adds an entry or, for a known sd hash, replaces its state (a failed download asked for again).</summary>
    public void Upsert(FileRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText =
            "INSERT INTO transfers (key, network, direction, status, download_directory, path, name, error, peers, added_at, completed_at, private) " +
            "VALUES ($sd, 'stream', $kind, $status, $dir, $path, $name, $error, $peers, $added, $completed, $private) " +
            "ON CONFLICT(key) DO UPDATE SET direction = excluded.direction, status = excluded.status, download_directory = excluded.download_directory, " +
            "path = excluded.path, name = COALESCE(excluded.name, transfers.name), error = excluded.error, peers = excluded.peers, " +
            "completed_at = excluded.completed_at, private = MAX(transfers.private, excluded.private)";
        command.Parameters.AddWithValue("$sd", record.SdHash.ToString());
        command.Parameters.AddWithValue("$kind", record.Kind.ToString().ToLowerInvariant());
        command.Parameters.AddWithValue("$status", record.Status.ToString().ToLowerInvariant());
        command.Parameters.AddWithValue("$dir", (object?)record.DownloadDirectory ?? DBNull.Value);
        command.Parameters.AddWithValue("$path", (object?)record.Path ?? DBNull.Value);
        command.Parameters.AddWithValue("$name", (object?)record.StreamName ?? DBNull.Value);
        command.Parameters.AddWithValue("$error", (object?)record.Error ?? DBNull.Value);
        command.Parameters.AddWithValue("$peers", EndPointList.Format(record.Peers));
        command.Parameters.AddWithValue("$added", record.AddedAt.ToUnixTimeSeconds());
        command.Parameters.AddWithValue("$completed", (object?)record.CompletedAt?.ToUnixTimeSeconds() ?? DBNull.Value);
        command.Parameters.AddWithValue("$private", record.Private ? 1 : 0);
        command.ExecuteNonQuery();
    }

    public FileRecord? Find(BlobHash sdHash)
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = $"{Select} AND key = $sd";
        command.Parameters.AddWithValue("$sd", sdHash.ToString());
        using var reader = command.ExecuteReader();
        return reader.Read() ? Read(reader) : null;
    }

    /// <summary>Every entry, oldest first.</summary>
    public IReadOnlyList<FileRecord> List()
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = $"{Select} ORDER BY added_at, key";
        using var reader = command.ExecuteReader();
        var records = new List<FileRecord>();
        while (reader.Read())
        {
            records.Add(Read(reader));
        }

        return records;
    }

    /// <summary>Whether the stream must stay out of the DHT (shared or fetched with --private).</summary>
    public bool IsPrivate(BlobHash sdHash)
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT private FROM transfers WHERE network = 'stream' AND key = $sd";
        command.Parameters.AddWithValue("$sd", sdHash.ToString());
        return command.ExecuteScalar() is long flag && flag != 0;
    }

    public bool Delete(BlobHash sdHash)
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM transfers WHERE network = 'stream' AND key = $sd";
        command.Parameters.AddWithValue("$sd", sdHash.ToString());
        return command.ExecuteNonQuery() > 0;
    }

    private static FileRecord Read(SqliteDataReader reader)
    {
        string? Text(string column) => reader.IsDBNull(reader.GetOrdinal(column)) ? null : reader.GetString(reader.GetOrdinal(column));
        var peers = EndPointList.Parse(Text("peers"));
        var completed = reader.IsDBNull(reader.GetOrdinal("completed_at"))
            ? (DateTimeOffset?)null
            : DateTimeOffset.FromUnixTimeSeconds(reader.GetInt64(reader.GetOrdinal("completed_at")));
        return new FileRecord(
            BlobHash.Parse(reader.GetString(reader.GetOrdinal("sd_hash"))),
            Enum.Parse<FileKind>(reader.GetString(reader.GetOrdinal("kind")), ignoreCase: true),
            Enum.Parse<FileStatus>(reader.GetString(reader.GetOrdinal("status")), ignoreCase: true),
            Text("download_directory"),
            Text("path"),
            Text("stream_name"),
            Text("error"),
            peers,
            DateTimeOffset.FromUnixTimeSeconds(reader.GetInt64(reader.GetOrdinal("added_at"))),
            completed,
            reader.GetInt64(reader.GetOrdinal("private")) != 0);
    }
}
