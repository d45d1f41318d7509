using Microsoft.Data.Sqlite;

namespace SmartShare.Storage;

/// <summary>
/// The node's SQLite database file. Each component owns its tables and brings its schema as an ordered
/// list of migration steps; the version reached is recorded per component so that steps run once.
/// </summary>
public sealed class SqliteDatabase
{
    private readonly string _connectionString;

    private SqliteDatabase(string path)
    {
        Path = path;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string Path { get; }

    /// <summary>Opens (creating if needed) the database and brings the component's schema up to date.</summary>
    public static SqliteDatabase Open(string path, string component, IReadOnlyList<string> migrations)
    {
        ArgumentNullException.ThrowIfNull(migrations);
        var database = new SqliteDatabase(path);
        try
        {
            using var connection = database.OpenConnection();
            using (var wal = connection.CreateCommand())
            {
                // WAL lets readers run beside the writer; NORMAL sync is safe with WAL (a crash may lose the
                // last commits, never corrupt), and the blob files themselves are the truth.
                wal.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;";
                wal.ExecuteNonQuery();
            }

            database.Migrate(connection, component, migrations);
        }
        catch (SqliteException ex)
        {
            throw new StorageException(
                $"The database {path} cannot be opened ({ex.Message.TrimEnd('.')}). " +
                "If it is damaged, `smartshare start --recover-db` moves it aside (kept) and starts with a new one, the blob index rebuilt from the blob folder.", ex);
        }

        return database;
    }

    /// <summary>Opens a connection; a failure is a <see cref="StorageException"/> naming the database file.</summary>
    public SqliteConnection Connect()
    {
        try
        {
            return OpenConnection();
        }
        catch (SqliteException ex)
        {
            throw new StorageException($"The database {Path} cannot be opened ({ex.Message.TrimEnd('.')}).", ex);
        }
    }

    /// <summary>Runs a statement that saves <paramref name="what"/>; a failure is a <see cref="StorageException"/> saying so.</summary>
    public void Execute(SqliteCommand command, string what)
    {
        ArgumentNullException.ThrowIfNull(command);
        try
        {
            command.ExecuteNonQuery();
        }
        catch (SqliteException ex)
        {
            throw new StorageException($"Cannot save {what} in {Path} ({ex.Message.TrimEnd('.')}).", ex);
        }
    }

    public SqliteConnection OpenConnection()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var pragmas = connection.CreateCommand();
        pragmas.CommandText = "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;";
        pragmas.ExecuteNonQuery();
        return connection;
    }

    private void Migrate(SqliteConnection connection, string component, IReadOnlyList<string> migrations)
    {
        using var transaction = connection.BeginTransaction();
        using (var create = connection.CreateCommand())
        {
            create.CommandText =
                "CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)";
            create.ExecuteNonQuery();
        }

        long current;
        using (var read = connection.CreateCommand())
        {
            read.CommandText = "SELECT version FROM schema_versions WHERE component = $component";
            read.Parameters.AddWithValue("$component", component);
            current = read.ExecuteScalar() is long version ? version : 0;
        }

        if (current > migrations.Count)
        {
            throw new StorageException(
                $"The database {Path} was written by a newer SmartShare (schema {component} v{current}, " +
                $"this version knows v{migrations.Count}). Upgrade SmartShare or use another data directory.");
        }

        for (var step = (int)current; step < migrations.Count; step++)
        {
            using var migrate = connection.CreateCommand();
            migrate.CommandText = migrations[step];
            migrate.ExecuteNonQuery();
        }

        using (var write = connection.CreateCommand())
        {
            write.CommandText =
                "INSERT INTO schema_versions (component, version) VALUES ($component, $version) " +
                "ON CONFLICT(component) DO UPDATE SET version = excluded.version";
            write.Parameters.AddWithValue("$component", component);
            write.Parameters.AddWithValue("$version", migrations.Count);
            write.ExecuteNonQuery();
        }

        transaction.Commit();
    }
}
