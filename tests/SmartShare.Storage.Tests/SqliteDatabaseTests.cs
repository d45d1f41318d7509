using Microsoft.Data.Sqlite;
using SmartShare.Storage;

namespace SmartShare.Storage.Tests;

public sealed class SqliteDatabaseTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "smartshare-db-" + Guid.NewGuid().ToString("N"));

    public SqliteDatabaseTests() => Directory.CreateDirectory(_folder);

    private string DatabasePath => Path.Combine(_folder, "test.db");

    [Fact]
    public void Runs_each_migration_step_once_across_openings()
    {
        string[] steps = ["CREATE TABLE a (x INTEGER)", "INSERT INTO a VALUES (1)"];

        SqliteDatabase.Open(DatabasePath, "test", steps);
        var database = SqliteDatabase.Open(DatabasePath, "test", steps);

        using var connection = database.OpenConnection();
        using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM a";
        Assert.Equal(1L, count.ExecuteScalar());
    }

    [Fact]
    public void Adds_only_the_new_steps_when_a_component_grows()
    {
        SqliteDatabase.Open(DatabasePath, "test", ["CREATE TABLE a (x INTEGER)"]);

        var database = SqliteDatabase.Open(DatabasePath, "test", ["CREATE TABLE a (x INTEGER)", "CREATE TABLE b (y INTEGER)"]);

        using var connection = database.OpenConnection();
        using var tables = connection.CreateCommand();
        tables.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('a', 'b')";
        Assert.Equal(2L, tables.ExecuteScalar());
    }

    [Fact]
    public void Components_keep_separate_versions()
    {
        SqliteDatabase.Open(DatabasePath, "one", ["CREATE TABLE a (x INTEGER)"]);

        var database = SqliteDatabase.Open(DatabasePath, "two", ["CREATE TABLE b (y INTEGER)"]);

        using var connection = database.OpenConnection();
        using var versions = connection.CreateCommand();
        versions.CommandText = "SELECT COUNT(*) FROM schema_versions";
        Assert.Equal(2L, versions.ExecuteScalar());
    }

    [Fact]
    public void Refuses_a_database_written_by_a_newer_version_with_a_sentence()
    {
        SqliteDatabase.Open(DatabasePath, "test", ["CREATE TABLE a (x INTEGER)", "CREATE TABLE b (y INTEGER)"]);

        var error = Assert.Throws<StorageException>(() => SqliteDatabase.Open(DatabasePath, "test", ["CREATE TABLE a (x INTEGER)"]));

        Assert.Contains("newer SmartShare", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_a_database_gives_a_storage_error_naming_it()
    {
        File.WriteAllText(DatabasePath, new string('x', 4096));

        var error = Assert.Throws<StorageException>(() => SqliteDatabase.Open(DatabasePath, "test", ["CREATE TABLE a (x INTEGER)"]));

        Assert.Contains(DatabasePath, error.Message, StringComparison.Ordinal);
        Assert.IsType<SqliteException>(error.InnerException);
    }

    [Fact]
    public void Disk_full_errors_are_explained_and_others_pass_through()
    {
        var full = new IOException("No space left on device", 28);
        var other = new IOException("Input/output error", 5);

        Assert.Contains("is full", DiskErrors.Explain(full, "/data").Message, StringComparison.Ordinal);
        Assert.Same(other, DiskErrors.Explain(other, "/data"));
        Assert.Equal("/data", Assert.IsType<DiskFullException>(DiskErrors.Explain(full, "/data")).Folder);
    }

    [Theory]
    [InlineData("/data")]
    [InlineData("/mnt/my disk/with; semicolons is full")]
    public void A_full_disk_pause_names_its_folder_and_is_told_apart_from_other_errors(string folder)
    {
        Assert.True(DiskErrors.TryGetPausedFolder(DiskErrors.PausedSentence(folder), out var read));
        Assert.Equal(folder, read);
        Assert.False(DiskErrors.TryGetPausedFolder("The disk holding /data is full. Free some space and try again; nothing incomplete was kept.", out _));
        Assert.False(DiskErrors.TryGetPausedFolder(null, out _));
    }

    [Fact]
    public void A_damaged_database_is_refused_and_moved_aside_with_its_journal_only_when_asked()
    {
        var path = Path.Combine(_folder, "damaged.db");
        File.WriteAllBytes(path, [.. Enumerable.Repeat((byte)0x5A, 8192)]);
        File.WriteAllBytes(path + "-wal", [1, 2, 3]);

        var error = Assert.Throws<DatabaseDamagedException>(() => DatabaseFile.Check(path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Equal(8192, new FileInfo(path).Length);

        var aside = DatabaseFile.MoveAside(path, new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero));
        Assert.Equal(path + ".damaged-20261205T120000Z", aside);
        Assert.False(File.Exists(path));
        Assert.True(File.Exists(aside + "-wal"));
        DatabaseFile.Check(path);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
