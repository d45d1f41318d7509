using Microsoft.Data.Sqlite;
using SmartShare.BitTorrent;
using SmartShare.BitTorrent.Engine;
using SmartShare.Storage;

namespace SmartShare.Node.Torrents;

/// <summary>
/// Each torrent's file selection (which files are wanted, their priorities, sequential and first/last-piece order) in
/// its own SQLite file, <c>file_selection.db</c>, one row per info hash; a row is written in one statement (WAL), so
/// a kill at any moment leaves the old selection or the new one. A magnet's selection asked before its metadata came
/// is kept as the request (<c>pending</c>) and turned into priorities once the file count is known.
/// </summary>
public sealed class FileSelectionStore
{
    public const string Component = "torrent_file_selection";

    public const string FileName = "file_selection.db";

    private static readonly string[] Migrations =
    [
        "CREATE TABLE torrent_file_selection (" +
        "info_hash TEXT PRIMARY KEY, priorities TEXT, pending TEXT, sequential INTEGER NOT NULL DEFAULT 0, " +
        "first_last INTEGER NOT NULL DEFAULT 0, updated INTEGER NOT NULL)",
    ];

    private readonly SqliteDatabase _database;
    private readonly TimeProvider _time;

    private FileSelectionStore(SqliteDatabase database, TimeProvider time) => (_database, _time) = (database, time);

    /// <exception cref="StorageException">The database cannot be opened or is from a newer version.</exception>
    public static FileSelectionStore Open(string dataDirectory, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        return new FileSelectionStore(SqliteDatabase.Open(Path.Combine(dataDirectory, FileName), Component, Migrations), time);
    }

    /// <summary>The stored row: priorities (null while pending), the pending request, the flags; null when none.</summary>
    public (FileSelection? Selection, FileSelectionRequest? Pending)? Load(InfoHash infoHash, int fileCount)
    {
        using var connection = _database.Connect();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT priorities, pending, sequential, first_last FROM torrent_file_selection WHERE info_hash = $hash";
        command.Parameters.AddWithValue("$hash", infoHash.ToString());
        try
        {
            using var reader = command.ExecuteReader();
            if (!reader.Read())
            {
                return null;
            }

            var sequential = reader.GetInt64(2) != 0;
            var firstLast = reader.GetInt64(3) != 0;
            FileSelection? selection = null;
            if (!reader.IsDBNull(0) && reader.GetString(0) is { } text && text.Length == fileCount && text.All(c => c is >= '0' and <= '3'))
            {
                selection = new FileSelection([.. text.Select(c => (TorrentFilePriority)(c - '0'))], sequential, firstLast);
            }

            var pending = reader.IsDBNull(1) ? null : FileSelectionRequest.FromStored(reader.GetString(1));
            return (selection, pending);
        }
        catch (SqliteException ex)
        {
            throw new StorageException($"Cannot read file selections from {_database.Path} ({ex.Message.TrimEnd('.')}).", ex);
        }
    }

    /// <summary>Records a torrent's selection, replacing any row (and any pending request).</summary>
    public void Save(InfoHash infoHash, FileSelection selection)
    {
        ArgumentNullException.ThrowIfNull(selection);
        var text = string.Concat(selection.Priorities.Select(p => (char)('0' + (int)p)));
        Write(infoHash, text, null, selection.Sequential, selection.FirstLastPiece);
    }

    /// <summary>Records a request for a torrent whose files are not known yet (a magnet without its metadata).</summary>
    public void SavePending(InfoHash infoHash, FileSelectionRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        Write(infoHash, null, request.ToStored(), request.Sequential ?? false, request.FirstLastPiece ?? false);
    }

    public void Delete(InfoHash infoHash)
    {
        using var connection = _database.Connect();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM torrent_file_selection WHERE info_hash = $hash";
        command.Parameters.AddWithValue("$hash", infoHash.ToString());
        _database.Execute(command, "the file selection");
    }

    private void Write(InfoHash infoHash, string? priorities, string? pending, bool sequential, bool firstLast)
    {
        using var connection = _database.Connect();
        using var command = connection.CreateCommand();
        command.CommandText =
            "INSERT INTO torrent_file_selection (info_hash, priorities, pending, sequential, first_last, updated) " +
            "VALUES ($hash, $priorities, $pending, $sequential, $firstLast, $updated) ON CONFLICT(info_hash) DO UPDATE SET " +
            "priorities = excluded.priorities, pending = excluded.pending, sequential = excluded.sequential, " +
            "first_last = excluded.first_last, updated = excluded.updated";
        command.Parameters.AddWithValue("$hash", infoHash.ToString());
        command.Parameters.AddWithValue("$priorities", (object?)priorities ?? DBNull.Value);
        command.Parameters.AddWithValue("$pending", (object?)pending ?? DBNull.Value);
        command.Parameters.AddWithValue("$sequential", sequential ? 1 : 0);
        command.Parameters.AddWithValue("$firstLast", firstLast ? 1 : 0);
        command.Parameters.AddWithValue("$updated", _time.GetUtcNow().ToUnixTimeMilliseconds());
        _database.Execute(command, "the file selection");
    }
}
