using System.Net;
using Microsoft.Data.Sqlite;
using SmartShare.BitTorrent;
using SmartShare.Lbry;
using SmartShare.Node.Downloads;
using SmartShare.Storage;

namespace SmartShare.Node.Torrents;

/// <summary>One torrent of the node's list: where its files go, how it stands.</summary>
/// <param name="RootName">The name its top entry has on disk (the torrent's name, or "name (1)" when that was taken).</param>
/// <param name="TotalLength">The content's size; -1 while a magnet's metadata has not arrived.</param>
/// <param name="Magnet">The magnet link it was added by, if any: what a restart needs to fetch the metadata again.</param>
public sealed record TorrentRecord(
    InfoHash InfoHash,
    string Name,
    FileKind Kind,
    FileStatus Status,
    string DownloadDirectory,
    string RootName,
    long TotalLength,
    string? Error,
    IReadOnlyList<IPEndPoint> Peers,
    DateTimeOffset AddedAt,
    DateTimeOffset? CompletedAt,
    string? Magnet = null)
{
    /// <summary>True while a torrent added by magnet link still waits for its metadata (the info dictionary) from peers.</summary>
    public bool AwaitingMetadata => TotalLength < 0;
}

/// <summary>
/// The node's torrents in SQLite (the torrent rows of the <c>transfers</c> table, with the .torrent bytes), so they
/// survive a restart. The rows (without the .torrent bytes) are also held in memory, read once and kept as each write
/// leaves them: the queue's tick, the upload ledger and every listing read all of them, which from SQLite cost about
/// 100 ms a time for 5,000 torrents, several times a second. Thread-safe; the one writer of these rows in a node.
/// </summary>
public sealed class TorrentStore
{
    // The torrent rows under the column names the record reader knows.
    private const string Select =
        "SELECT key AS info_hash, name, direction AS kind, status, download_directory, path AS root_name, total_length, error, peers, added_at, completed_at, magnet " +
        "FROM transfers WHERE network = 'torrent'";

    private readonly SqliteDatabase _database;
    private readonly Lock _lock = new();
    private Dictionary<InfoHash, TorrentRecord>? _rows; // every torrent row once read; under _lock
    private TorrentRecord[]? _listed;                   // _rows oldest first, until the next write; under _lock

    internal TorrentStore(SqliteDatabase database)
    {
        _database = database;
    }

    /// <summary>The database file shared with the rest of the node.</summary>
    public string DatabasePath => _database.Path;

    public static TorrentStore Open(string dataDirectory) => new(Transfers.TransferDatabase.Open(dataDirectory));

    /// <summary>
    /// Adds a torrent with its metainfo, or updates the state of a known one (the metainfo is kept unless the known
    /// one had none yet). Empty metainfo stands for a magnet whose metadata has not arrived.
    /// </summary>
    public void Upsert(TorrentRecord record, ReadOnlyMemory<byte> metainfo)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_lock)
        {
            UpsertRow(record, metainfo);
            Refresh(record.InfoHash);
        }
    }

    private void UpsertRow(TorrentRecord record, ReadOnlyMemory<byte> metainfo)
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText =
            "INSERT INTO transfers (key, network, name, direction, status, download_directory, path, total_length, error, peers, added_at, completed_at, metainfo, magnet) " +
            "VALUES ($hash, 'torrent', $name, $kind, $status, $dir, $root, $total, $error, $peers, $added, $completed, $metainfo, $magnet) " +
            "ON CONFLICT(key) DO UPDATE SET direction = excluded.direction, status = excluded.status, download_directory = excluded.download_directory, " +
            "path = excluded.path, error = excluded.error, peers = excluded.peers, completed_at = excluded.completed_at, " +
            "name = CASE WHEN length(transfers.metainfo) = 0 THEN excluded.name ELSE transfers.name END, " +
            "total_length = CASE WHEN length(transfers.metainfo) = 0 THEN excluded.total_length ELSE transfers.total_length END, " +
            "metainfo = CASE WHEN length(transfers.metainfo) = 0 THEN excluded.metainfo ELSE transfers.metainfo END, " +
            "magnet = coalesce(excluded.magnet, transfers.magnet)";
        command.Parameters.AddWithValue("$hash", record.InfoHash.ToString());
        command.Parameters.AddWithValue("$name", record.Name);
        command.Parameters.AddWithValue("$kind", record.Kind.ToString().ToLowerInvariant());
        command.Parameters.AddWithValue("$status", record.Status.ToString().ToLowerInvariant());
        command.Parameters.AddWithValue("$dir", record.DownloadDirectory);
        command.Parameters.AddWithValue("$root", record.RootName);
        command.Parameters.AddWithValue("$total", record.TotalLength);
        command.Parameters.AddWithValue("$error", (object?)record.Error ?? DBNull.Value);
        command.Parameters.AddWithValue("$peers", EndPointList.Format(record.Peers));
        command.Parameters.AddWithValue("$added", record.AddedAt.ToUnixTimeSeconds());
        command.Parameters.AddWithValue("$completed", (object?)record.CompletedAt?.ToUnixTimeSeconds() ?? DBNull.Value);
        command.Parameters.AddWithValue("$metainfo", metainfo.ToArray());
        command.Parameters.AddWithValue("$magnet", (object?)record.Magnet ?? DBNull.Value);
        command.ExecuteNonQuery();
    }

    /// <summary>Changes only the state of a known torrent.</summary>
    public void Update(TorrentRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_lock)
        {
            UpdateRow(record);
            Refresh(record.InfoHash);
        }
    }

    private void UpdateRow(TorrentRecord record)
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText =
            "UPDATE transfers SET direction = $kind, status = $status, error = $error, peers = $peers, completed_at = $completed WHERE network = 'torrent' AND key = $hash";
        command.Parameters.AddWithValue("$hash", record.InfoHash.ToString());
        command.Parameters.AddWithValue("$kind", record.Kind.ToString().ToLowerInvariant());
        command.Parameters.AddWithValue("$status", record.Status.ToString().ToLowerInvariant());
        command.Parameters.AddWithValue("$error", (object?)record.Error ?? DBNull.Value);
        command.Parameters.AddWithValue("$peers", EndPointList.Format(record.Peers));
        command.Parameters.AddWithValue("$completed", (object?)record.CompletedAt?.ToUnixTimeSeconds() ?? DBNull.Value);
        command.ExecuteNonQuery();
    }

    public TorrentRecord? Find(InfoHash infoHash)
    {
        lock (_lock)
        {
            return Rows().GetValueOrDefault(infoHash);
        }
    }

    private TorrentRecord? ReadRow(InfoHash infoHash)
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = $"{Select} AND key = $hash";
        command.Parameters.AddWithValue("$hash", infoHash.ToString());
        using var reader = command.ExecuteReader();
        return reader.Read() ? Read(reader) : null;
    }

    /// <summary>The .torrent bytes a torrent was added with; null while a magnet's metadata has not arrived.</summary>
    public byte[]? LoadMetainfo(InfoHash infoHash)
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT metainfo FROM transfers WHERE network = 'torrent' AND key = $hash";
        command.Parameters.AddWithValue("$hash", infoHash.ToString());
        return command.ExecuteScalar() is byte[] { Length: > 0 } metainfo ? metainfo : null;
    }

    /// <summary>Every torrent, oldest first.</summary>
    public IReadOnlyList<TorrentRecord> List()
    {
        lock (_lock)
        {
            return _listed ??= [.. Rows().Values.OrderBy(record => record.AddedAt.ToUnixTimeSeconds()).ThenBy(record => record.InfoHash.ToString(), StringComparer.Ordinal)];
        }
    }

    public bool Delete(InfoHash infoHash)
    {
        lock (_lock)
        {
            using var connection = _database.OpenConnection();
            using var command = connection.CreateCommand();
            command.CommandText = "DELETE FROM transfers WHERE network = 'torrent' AND key = $hash";
            command.Parameters.AddWithValue("$hash", infoHash.ToString());
            var deleted = command.ExecuteNonQuery() > 0;
            Refresh(infoHash);
            return deleted;
        }
    }

    // Every row, read from the table the first time (under _lock).
    private Dictionary<InfoHash, TorrentRecord> Rows()
    {
        if (_rows is null)
        {
            using var connection = _database.OpenConnection();
            using var command = connection.CreateCommand();
            command.CommandText = Select;
            using var reader = command.ExecuteReader();
            var rows = new Dictionary<InfoHash, TorrentRecord>();
            while (reader.Read())
            {
                var record = Read(reader);
                rows[record.InfoHash] = record;
            }

            _rows = rows;
        }

        return _rows;
    }

    // After a write (under _lock): the row as the table now has it (an upsert keeps some columns of a known row).
    private void Refresh(InfoHash infoHash)
    {
        var rows = Rows();
        if (ReadRow(infoHash) is { } record)
        {
            rows[infoHash] = record;
        }
        else
        {
            rows.Remove(infoHash);
        }

        _listed = null;
    }

    private static TorrentRecord Read(SqliteDataReader reader)
    {
        string? Text(string column) => reader.IsDBNull(reader.GetOrdinal(column)) ? null : reader.GetString(reader.GetOrdinal(column));
        var peers = EndPointList.Parse(Text("peers"));
        var completed = reader.IsDBNull(reader.GetOrdinal("completed_at"))
            ? (DateTimeOffset?)null
            : DateTimeOffset.FromUnixTimeSeconds(reader.GetInt64(reader.GetOrdinal("completed_at")));
        return new TorrentRecord(
            InfoHash.Parse(reader.GetString(reader.GetOrdinal("info_hash"))),
            reader.GetString(reader.GetOrdinal("name")),
            Enum.Parse<FileKind>(reader.GetString(reader.GetOrdinal("kind")), ignoreCase: true),
            Enum.Parse<FileStatus>(reader.GetString(reader.GetOrdinal("status")), ignoreCase: true),
            reader.GetString(reader.GetOrdinal("download_directory")),
            reader.GetString(reader.GetOrdinal("root_name")),
            reader.GetInt64(reader.GetOrdinal("total_length")),
            Text("error"),
            peers,
            DateTimeOffset.FromUnixTimeSeconds(reader.GetInt64(reader.GetOrdinal("added_at"))),
            completed,
            Text("magnet"));
    }
}
