using System.Net;
using Microsoft.Data.Sqlite;
using SmartShare.Lbry;
using SmartShare.Lbry.Blobs;
using SmartShare.Storage;

namespace SmartShare.Node.Downloads;

/// <summary>
/// The node's streams in SQLite (the stream rows of the <c>transfers</c> table), so downloads survive a restart. The
/// rows are also held in memory, read once and kept as each write leaves them (as <see cref="Torrents.TorrentStore"/>
/// does): the queue's round every 2 s, the disk-full resumer, the announcer and every listing read all of them, which
/// from SQLite was the largest part of an idle node's remaining CPU and garbage with 1,000 streams. Thread-safe; the one
/// writer of these rows in a node (a second store opened on the same folder sees the table as it was when it first read).
/// </summary>
public sealed class FileStore
{
    // The stream rows under the column names the record reader knows.
    private const string Select =
        "SELECT key AS sd_hash, direction AS kind, status, download_directory, path, name AS stream_name, error, peers, added_at, completed_at, private " +
        "FROM transfers WHERE network = 'stream'";

    private readonly SqliteDatabase _database;
    private readonly Lock _lock = new();
    private Dictionary<BlobHash, FileRecord>? _rows; // every stream row once read; under _lock
    private FileRecord[]? _listed;                  // _rows oldest first, until the next write; under _lock

    /// <summary>How many times the rows were read from the table: once (the first read), for tests to see it.</summary>
    internal int TableReads { get; private set; }

    internal FileStore(SqliteDatabase database)
    {
        _database = database;
    }

    public static FileStore Open(string dataDirectory) => new(Transfers.TransferDatabase.Open(dataDirectory));

    /// <summary>Adds an entry or, for a known sd hash, replaces its state (a failed download asked for again).</summary>
    public void Upsert(FileRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_lock)
        {
            UpsertRow(record);
            Refresh(record.SdHash);
        }
    }

    private void UpsertRow(FileRecord record)
    {
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
        lock (_lock)
        {
            return Rows().GetValueOrDefault(sdHash);
        }
    }

    private FileRecord? ReadRow(BlobHash sdHash)
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
        lock (_lock)
        {
            return _listed ??= [.. Rows().Values.OrderBy(record => record.AddedAt.ToUnixTimeSeconds()).ThenBy(record => record.SdHash.ToString(), StringComparer.Ordinal)];
        }
    }

    /// <summary>Whether the stream must stay out of the DHT (shared or fetched with --private).</summary>
    public bool IsPrivate(BlobHash sdHash) => Find(sdHash)?.Private ?? false;

    public bool Delete(BlobHash sdHash)
    {
        lock (_lock)
        {
            using var connection = _database.OpenConnection();
            using var command = connection.CreateCommand();
            command.CommandText = "DELETE FROM transfers WHERE network = 'stream' AND key = $sd";
            command.Parameters.AddWithValue("$sd", sdHash.ToString());
            var deleted = command.ExecuteNonQuery() > 0;
            Refresh(sdHash);
            return deleted;
        }
    }

    // Every row, read from the table the first time (under _lock).
    private Dictionary<BlobHash, FileRecord> Rows()
    {
        if (_rows is null)
        {
            using var connection = _database.OpenConnection();
            using var command = connection.CreateCommand();
            command.CommandText = Select;
            using var reader = command.ExecuteReader();
            var rows = new Dictionary<BlobHash, FileRecord>();
            while (reader.Read())
            {
                var record = Read(reader);
                rows[record.SdHash] = record;
            }

            TableReads++;
            _rows = rows;
        }

        return _rows;
    }

    // After a write (under _lock): the row as the table now has it (an upsert keeps the name and the private flag of a known row).
    private void Refresh(BlobHash sdHash)
    {
        var rows = Rows();
        if (ReadRow(sdHash) is { } record)
        {
            rows[sdHash] = record;
        }
        else
        {
            rows.Remove(sdHash);
        }

        _listed = null;
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
