using System.Net;
using Microsoft.Data.Sqlite;
using SmartShare.Lbry;
using SmartShare.Lbry.Blobs;
using SmartShare.Storage;

namespace SmartShare.Node.Downloads;

/// <summary>The node's file list in SQLite (table <c>files</c>), so downloads survive a restart.</summary>
public sealed class FileStore
{
    private static readonly string[] Schema =
    [
        """
        CREATE TABLE files (
            sd_hash TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            status TEXT NOT NULL,
            download_directory TEXT,
            path TEXT,
            stream_name TEXT,
            error TEXT,
            peers TEXT NOT NULL DEFAULT '',
            added_at INTEGER NOT NULL,
            completed_at INTEGER
        )
        """,
        "ALTER TABLE files ADD COLUMN private INTEGER NOT NULL DEFAULT 0",
    ];

    private readonly SqliteDatabase _database;

    private FileStore(SqliteDatabase database)
    {
        _database = database;
    }

    public static FileStore Open(string dataDirectory) =>
        new(SqliteDatabase.Open(Path.Combine(Path.GetFullPath(dataDirectory), LbryStorage.DatabaseFileName), "node_files", Schema));

    /// <summary>Adds an entry or, for a known sd hash, replaces its state (a failed download asked for again).</summary>
    public void Upsert(FileRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText =
            "INSERT INTO files (sd_hash, kind, status, download_directory, path, stream_name, error, peers, added_at, completed_at, private) " +
            "VALUES ($sd, $kind, $status, $dir, $path, $name, $error, $peers, $added, $completed, $private) " +
            "ON CONFLICT(sd_hash) DO UPDATE SET kind = excluded.kind, status = excluded.status, download_directory = excluded.download_directory, " +
            "path = excluded.path, stream_name = COALESCE(excluded.stream_name, files.stream_name), error = excluded.error, peers = excluded.peers, " +
            "completed_at = excluded.completed_at, private = MAX(files.private, excluded.private)";
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
        command.CommandText = "SELECT * FROM files WHERE sd_hash = $sd";
        command.Parameters.AddWithValue("$sd", sdHash.ToString());
        using var reader = command.ExecuteReader();
        return reader.Read() ? Read(reader) : null;
    }

    /// <summary>Every entry, oldest first.</summary>
    public IReadOnlyList<FileRecord> List()
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT * FROM files ORDER BY added_at, sd_hash";
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
        command.CommandText = "SELECT private FROM files WHERE sd_hash = $sd";
        command.Parameters.AddWithValue("$sd", sdHash.ToString());
        return command.ExecuteScalar() is long flag && flag != 0;
    }

    public bool Delete(BlobHash sdHash)
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM files WHERE sd_hash = $sd";
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
