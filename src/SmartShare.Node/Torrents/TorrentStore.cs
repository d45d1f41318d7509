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

/// <summary>The node's torrents in SQLite (table <c>torrents</c>, with the .torrent bytes), so they survive a restart.</summary>
public sealed class TorrentStore
{
    private static readonly string[] Schema =
    [
        """
        CREATE TABLE torrents (
            info_hash TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            status TEXT NOT NULL,
            download_directory TEXT NOT NULL,
            root_name TEXT NOT NULL,
            total_length INTEGER NOT NULL,
            error TEXT,
            peers TEXT NOT NULL DEFAULT '',
            added_at INTEGER NOT NULL,
            completed_at INTEGER,
            metainfo BLOB NOT NULL
        )
        """,

        // Torrents added by magnet link: the link is kept, and the metainfo is empty until the metadata arrives.
        "ALTER TABLE torrents ADD COLUMN magnet TEXT",
    ];

    private readonly SqliteDatabase _database;

    private TorrentStore(SqliteDatabase database)
    {
        _database = database;
    }

    /// <summary>The database file shared with the rest of the node.</summary>
    public string DatabasePath => _database.Path;

    public static TorrentStore Open(string dataDirectory) =>
        new(SqliteDatabase.Open(Path.Combine(Path.GetFullPath(dataDirectory), LbryStorage.DatabaseFileName), "node_torrents", Schema));

    /// <summary>
    /// Adds a torrent with its metainfo, or updates the state of a known one (the metainfo is kept unless the known
    /// one had none yet). Empty metainfo stands for a magnet whose metadata has not arrived.
    /// </summary>
    public void Upsert(TorrentRecord record, ReadOnlyMemory<byte> metainfo)
    {
        ArgumentNullException.ThrowIfNull(record);
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText =
            "INSERT INTO torrents (info_hash, name, kind, status, download_directory, root_name, total_length, error, peers, added_at, completed_at, metainfo, magnet) " +
            "VALUES ($hash, $name, $kind, $status, $dir, $root, $total, $error, $peers, $added, $completed, $metainfo, $magnet) " +
            "ON CONFLICT(info_hash) DO UPDATE SET kind = excluded.kind, status = excluded.status, download_directory = excluded.download_directory, " +
            "root_name = excluded.root_name, error = excluded.error, peers = excluded.peers, completed_at = excluded.completed_at, " +
            "name = CASE WHEN length(torrents.metainfo) = 0 THEN excluded.name ELSE torrents.name END, " +
            "total_length = CASE WHEN length(torrents.metainfo) = 0 THEN excluded.total_length ELSE torrents.total_length END, " +
            "metainfo = CASE WHEN length(torrents.metainfo) = 0 THEN excluded.metainfo ELSE torrents.metainfo END, " +
            "magnet = coalesce(excluded.magnet, torrents.magnet)";
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
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText =
            "UPDATE torrents SET kind = $kind, status = $status, error = $error, peers = $peers, completed_at = $completed WHERE info_hash = $hash";
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
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT * FROM torrents WHERE info_hash = $hash";
        command.Parameters.AddWithValue("$hash", infoHash.ToString());
        using var reader = command.ExecuteReader();
        return reader.Read() ? Read(reader) : null;
    }

    /// <summary>The .torrent bytes a torrent was added with; null while a magnet's metadata has not arrived.</summary>
    public byte[]? LoadMetainfo(InfoHash infoHash)
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT metainfo FROM torrents WHERE info_hash = $hash";
        command.Parameters.AddWithValue("$hash", infoHash.ToString());
        return command.ExecuteScalar() is byte[] { Length: > 0 } metainfo ? metainfo : null;
    }

    /// <summary>Every torrent, oldest first.</summary>
    public IReadOnlyList<TorrentRecord> List()
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT info_hash, name, kind, status, download_directory, root_name, total_length, error, peers, added_at, completed_at, magnet FROM torrents ORDER BY added_at, info_hash";
        using var reader = command.ExecuteReader();
        var records = new List<TorrentRecord>();
        while (reader.Read())
        {
            records.Add(Read(reader));
        }

        return records;
    }

    public bool Delete(InfoHash infoHash)
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM torrents WHERE info_hash = $hash";
        command.Parameters.AddWithValue("$hash", infoHash.ToString());
        return command.ExecuteNonQuery() > 0;
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
