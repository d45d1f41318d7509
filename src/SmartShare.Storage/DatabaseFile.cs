using Microsoft.Data.Sqlite;

namespace SmartShare.Storage;

/// <summary>
/// The start-up check of the node's database file: a damaged file or one another process holds locked stops the
/// node with a sentence naming the file and what to do, before anything reads or rewrites it (a half-readable
/// transfer list would otherwise start as a shorter one, a silent loss). <see cref="MoveAside"/> is the recovery
/// the user asks for explicitly (<c>smartshare start --recover-db</c>).
/// </summary>
public static class DatabaseFile
{
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;
    private const int SqliteCorrupt = 11;
    private const int SqliteNotADatabase = 26;

    /// <summary>How long the check waits for another process's lock before it says the file is locked.</summary>
    public static TimeSpan LockWait { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Checks that <paramref name="path"/> (if it exists) is a whole SQLite database that this process can write.
    /// </summary>
    /// <exception cref="DatabaseDamagedException">The file is not a database or fails SQLite's quick check.</exception>
    /// <exception cref="StorageException">Another process holds the file locked, or it cannot be opened.</exception>
    public static void Check(string path)
    {
        if (!File.Exists(path))
        {
            return;
        }

        // SQLite takes an empty file for a new database; the node writes its schema at once, so an empty file is one
        // that lost its contents (truncated), and starting on it would be the silent loss this check exists to stop.
        if (new FileInfo(path).Length == 0)
        {
            throw Damaged(path, "the file is empty");
        }

        try
        {
            // Read-only first: a damaged file, and its WAL, are left exactly as they are (a writer's last close would
            // checkpoint the WAL into the damaged file).
            using (var reading = Connect(path, SqliteOpenMode.ReadOnly))
            using (var command = reading.CreateCommand())
            {
                // quick_check reads every page (not the indexes' agreement with their tables): a few milliseconds for
                // the node's database, which holds rows, not content.
                command.CommandText = "PRAGMA quick_check(5);";
                var problems = new List<string>();
                using (var reader = command.ExecuteReader())
                {
                    while (reader.Read())
                    {
                        problems.Add(reader.GetString(0));
                    }
                }

                if (problems is not ["ok"])
                {
                    throw Damaged(path, string.Join("; ", problems));
                }
            }

            // A write lock held elsewhere (another program with the file open in a transaction) would otherwise
            // stall every save for the busy timeout and then fail it: say so now instead.
            using var writing = Connect(path, SqliteOpenMode.ReadWrite);
            using var begin = writing.CreateCommand();
            begin.CommandText = "BEGIN IMMEDIATE; ROLLBACK;";
            begin.ExecuteNonQuery();
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is SqliteCorrupt or SqliteNotADatabase)
        {
            throw Damaged(path, ex.Message.TrimEnd('.'));
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is SqliteBusy or SqliteLocked)
        {
            throw new StorageException(
                $"The database {path} is locked by another process (another SmartShare node on this data directory, or a program such as sqlite3 holding it open in a transaction); waited {LockWait.TotalSeconds:0} s. Stop that process and start again.",
                ex);
        }
        catch (SqliteException ex)
        {
            throw new StorageException($"The database {path} cannot be opened ({ex.Message.TrimEnd('.')}).", ex);
        }
    }

    private static SqliteConnection Connect(string path, SqliteOpenMode mode)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = mode,
            Pooling = false,
            DefaultTimeout = Math.Max(1, (int)LockWait.TotalSeconds),
        }.ToString());
        try
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"PRAGMA busy_timeout={(int)LockWait.TotalMilliseconds};";
            command.ExecuteNonQuery();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Moves a damaged database and its WAL and shared-memory files aside, to <c>NAME.damaged-TIME</c>, so the node
    /// can start with a new one. Returns the new name of the database file.
    /// </summary>
    public static string MoveAside(string path, DateTimeOffset now)
    {
        var aside = $"{path}.damaged-{now.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}";
        foreach (var suffix in new[] { "-wal", "-shm" })
        {
            if (File.Exists(path + suffix))
            {
                File.Move(path + suffix, aside + suffix);
            }
        }

        File.Move(path, aside);
        return aside;
    }

    private static DatabaseDamagedException Damaged(string path, string detail) =>
        new(
            path,
            $"The database {path} is damaged ({detail}). Nothing was changed: it holds your transfer list. " +
            $"`smartshare start --recover-db` moves it aside to {Path.GetFileName(path)}.damaged-TIME (kept, so `sqlite3 FILE .recover` can still read rows from it) " +
            "and starts with a new database, rebuilding the blob index from the blob folder; the transfers it listed must be added again.");
}

/// <summary>The node's database file is damaged; the message names it and the way out.</summary>
public sealed class DatabaseDamagedException(string path, string message) : StorageException(message)
{
    public string DatabasePath { get; } = path;
}
