using Microsoft.Data.Sqlite;
using SmartShare.IO;
using SmartShare.Storage;

namespace SmartShare.BitTorrent.Storage;

/// <summary>
/// Which pieces of each torrent were verified and written, kept in SQLite so that a restart does not fetch them again.
/// One row per torrent holding the bitfield in its wire form and, since schema v2, each file's size and last-write
/// time when the pieces were recorded (<see cref="FileStamp"/>; NULL in rows written before, which are checked whole);
/// saving replaces the row, pieces and stamps at once. Thread-safe: each call uses its own (pooled) connection.
/// </summary>
public sealed class ResumeStore
{
    /// <summary>The schema component name recorded in the database's <c>schema_versions</c>.</summary>
    public const string Component = "bittorrent-resume";

    private static readonly string[] Migrations =
    [
        "CREATE TABLE torrent_pieces (" +
        "info_hash TEXT PRIMARY KEY, piece_count INTEGER NOT NULL, bits BLOB NOT NULL, updated INTEGER NOT NULL)",
        "ALTER TABLE torrent_pieces ADD COLUMN file_stamps BLOB",
    ];

    private readonly SqliteDatabase _database;
    private readonly TimeProvider _time;

    private ResumeStore(SqliteDatabase database, TimeProvider time) => (_database, _time) = (database, time);

    /// <summary>Opens (creating if needed) the database file and its <c>torrent_pieces</c> table.</summary>
    /// <exception cref="StorageException">The database cannot be opened or is from a newer version.</exception>
    /// <param name="time">The clock of each row's <c>updated</c> time; default the system clock.</param>
    public static ResumeStore Open(string databasePath, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(databasePath);
        return new ResumeStore(SqliteDatabase.Open(databasePath, Component, Migrations), time ?? TimeProvider.System);
    }

    /// <summary>The saved pieces of a torrent, or null when none were saved or they were saved for another piece count.</summary>
    public Bitfield? Load(InfoHash infoHash, int pieceCount) => LoadRecord(infoHash, pieceCount, 0)?.Pieces;

    /// <summary>
    /// The saved pieces of a torrent with the stamps of its <paramref name="fileCount"/> files taken when they were
    /// saved (null stamps when none were saved or not for that many files), or null when no pieces were saved for
    /// <paramref name="pieceCount"/> pieces.
    /// </summary>
    public ResumeRecord? LoadRecord(InfoHash infoHash, int pieceCount, int fileCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pieceCount);
        ArgumentOutOfRangeException.ThrowIfNegative(fileCount);
        using var connection = _database.Connect();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT piece_count, bits, file_stamps FROM torrent_pieces WHERE info_hash = $hash";
        command.Parameters.AddWithValue("$hash", infoHash.ToString());
        try
        {
            using var reader = command.ExecuteReader();
            if (!reader.Read() || reader.GetInt64(0) != pieceCount || reader.GetValue(1) is not byte[] bits)
            {
                return null;
            }

            // A row that does not decode (wrong size, spare bits set) is as good as none: the pieces get rechecked.
            if (!Bitfield.TryFromWire(bits, pieceCount, out var bitfield))
            {
                return null;
            }

            var stamps = reader.GetValue(2) is byte[] blob ? FileStamp.Decode(blob, fileCount) : null;
            return new ResumeRecord(bitfield, stamps);
        }
        catch (SqliteException ex)
        {
            throw new StorageException($"Cannot read resume state from {_database.Path} ({ex.Message.TrimEnd('.')}).", ex);
        }
    }

    /// <summary>
    /// Records the verified pieces of a torrent, replacing what was saved before, with the stamps of its files taken
    /// once those pieces were durable (null: none, so the next start checks every recorded piece).
    /// </summary>
    public void Save(InfoHash infoHash, Bitfield verified, IReadOnlyList<FileStamp>? stamps = null)
    {
        ArgumentNullException.ThrowIfNull(verified);
        using var connection = _database.Connect();
        using var command = connection.CreateCommand();
        command.CommandText =
            "INSERT INTO torrent_pieces (info_hash, piece_count, bits, updated, file_stamps) VALUES ($hash, $count, $bits, $updated, $stamps) " +
            "ON CONFLICT(info_hash) DO UPDATE SET piece_count = excluded.piece_count, bits = excluded.bits, updated = excluded.updated, " +
            "file_stamps = excluded.file_stamps";
        command.Parameters.AddWithValue("$hash", infoHash.ToString());
        command.Parameters.AddWithValue("$count", verified.Length);
        command.Parameters.AddWithValue("$bits", verified.Bytes.ToArray());
        command.Parameters.AddWithValue("$updated", _time.GetUtcNow().ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$stamps", stamps is null ? DBNull.Value : FileStamp.Encode(stamps));
        _database.Execute(command, "resume state");
    }

    /// <summary>
    /// Drops a torrent's file stamps (its pieces stay recorded), so the next start checks every recorded piece again:
    /// done before a recorded piece's bytes may be rewritten, which need not change a file's size or time on disk.
    /// </summary>
    public void ForgetStamps(InfoHash infoHash) => Execute("UPDATE torrent_pieces SET file_stamps = NULL WHERE info_hash = $hash", infoHash);

    /// <summary>Forgets a torrent's saved pieces.</summary>
    public void Delete(InfoHash infoHash) => Execute("DELETE FROM torrent_pieces WHERE info_hash = $hash", infoHash);

    private void Execute(string sql, InfoHash infoHash)
    {
        using var connection = _database.Connect();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$hash", infoHash.ToString());
        _database.Execute(command, "resume state");
    }
}
