using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Microsoft.Win32.SafeHandles;
using SmartShare.IO;
using SmartShare.Storage;

namespace SmartShare.Lbry.Blobs;

/// <summary>
/// Content-addressed blobs on disk, one file per blob named by its SHA-384 in hex, indexed in SQLite.
/// The folder is the truth: a file is only ever created under its final name by an atomic rename of a
/// complete, fsynced temporary file whose bytes hash to that name, and <see cref="Reconcile"/> brings the
/// index back in line with whatever is on disk.
/// </summary>
public sealed class BlobStore
{
    /// <summary>lbry-sdk's MAX_BLOB_SIZE: no blob, data or descriptor, may be larger.</summary>
    public const int MaxBlobSize = 2 * 1024 * 1024;

    private const string TempPrefix = ".tmp-";

    // Another process may be writing into the same folder; only temporary files this old are leftovers.
    private static readonly TimeSpan StaleTempAge = TimeSpan.FromMinutes(10);

    private readonly SqliteDatabase _database;
    private readonly TimeProvider _time;

    internal BlobStore(string directory, SqliteDatabase database, TimeProvider time)
    {
        Directory = directory;
        _database = database;
        _time = time;
    }

    public string Directory { get; }

    /// <summary>Raised after a blob was read whole (<see cref="Read"/>); the node records it as a use for its eviction order.</summary>
    public event Action<BlobHash>? BlobRead;

    /// <summary>Raised after new blobs were made durable and indexed; the node checks its storage limit then.</summary>
    public event Action? BlobsWritten;

    /// <summary>How many blobs the index holds and their bytes, summed from the index (which start-up reconciles with the folder).</summary>
    public (long Count, long Bytes) Totals()
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*), COALESCE(SUM(length), 0) FROM blobs";
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    public string PathOf(BlobHash hash) => Path.Combine(Directory, hash.ToString());

    /// <summary>The length of a blob file that is present, or null.</summary>
    public long? TryGetLength(BlobHash hash)
    {
        var info = new FileInfo(PathOf(hash));
        return info.Exists ? info.Length : null;
    }

    public bool Contains(BlobHash hash) => File.Exists(PathOf(hash));

    /// <summary>Starts a batch of blobs that become durable together (see <see cref="BlobBatch"/>).</summary>
    public BlobBatch BeginBatch() => new(this);

    /// <summary>Stores content under its own hash. Returns the hash and whether the blob is new.</summary>
    public (BlobHash Hash, bool Added) Add(ReadOnlySpan<byte> content)
    {
        using var batch = BeginBatch();
        var result = batch.Add(content);
        batch.Commit();
        return result;
    }

    /// <summary>Stores content that must hash to <paramref name="expected"/>; anything else is refused.</summary>
    public bool AddVerified(BlobHash expected, ReadOnlySpan<byte> content)
    {
        using var batch = BeginBatch();
        var added = batch.AddVerified(expected, content);
        batch.Commit();
        return added;
    }

    /// <summary>
    /// Deletes a blob's file and forgets it; a blob already gone is just forgotten. The blob server answers a later
    /// request for it as missing.
    /// </summary>
    /// <exception cref="IOException">The file could not be deleted; it stays indexed.</exception>
    /// <exception cref="UnauthorizedAccessException">The file could not be deleted; it stays indexed.</exception>
    public void Delete(BlobHash hash)
    {
        File.Delete(PathOf(hash));
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM blobs WHERE hash = $hash";
        command.Parameters.AddWithValue("$hash", hash.ToString());
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// Reads a whole blob into <paramref name="destination"/> and, when asked, checks that it hashes to its
    /// name. Returns the number of bytes read.
    /// </summary>
    public int Read(BlobHash hash, Span<byte> destination, bool verify)
    {
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(PathOf(hash), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new BlobNotFoundException(hash, $"Blob {hash} is not in the local store ({Directory}).");
        }

        using (handle)
        {
            var length = RandomAccess.GetLength(handle);
            if (length > MaxBlobSize || length > destination.Length)
            {
                throw new CorruptBlobException(
                    hash, $"Blob {hash} in {Directory} is {length} bytes, more than a blob may hold; run 'smartshare blobs verify'.");
            }

            var total = 0;
            while (total < length)
            {
                var read = RandomAccess.Read(handle, destination[total..(int)length], total);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }

            if (verify && BlobHash.Compute(destination[..total]) != hash)
            {
                throw new CorruptBlobException(
                    hash, $"Blob {hash} in {Directory} does not match its hash (damaged on disk); run 'smartshare blobs verify'.");
            }

            BlobRead?.Invoke(hash);
            return total;
        }
    }

    /// <summary>Reads and verifies a whole blob into a new array (for small blobs such as descriptors).</summary>
    public byte[] ReadAllVerified(BlobHash hash)
    {
        var buffer = BlobBuffers.Pool.Rent(MaxBlobSize);
        try
        {
            var length = Read(hash, buffer, verify: true);
            return buffer.AsSpan(0, length).ToArray();
        }
        finally
        {
            BlobBuffers.Pool.Return(buffer);
        }
    }

    /// <summary>The blobs the index knows, in hash order.</summary>
    public IReadOnlyList<StoredBlob> List() =>
        LoadIndex()
            .Select(row => new StoredBlob(row.Key, row.Value.Length))
            .OrderBy(blob => blob.Hash.ToString(), StringComparer.Ordinal)
            .ToList();

    /// <summary>
    /// Brings the index in line with the folder. Files the index already knows with the same size and
    /// modification time are trusted unless <paramref name="rehashAll"/> is set; every other blob file is
    /// hashed. Valid files become known, corrupt ones are deleted, rows without a file are forgotten.
    /// </summary>
    public ReconcileReport Reconcile(bool rehashAll, IProgress<long>? bytesHashed, CancellationToken cancellationToken)
    {
        var known = LoadIndex();
        var toHash = new List<(BlobHash Hash, FileInfo File)>();
        var present = new HashSet<BlobHash>();
        var staleTemps = 0;
        var now = _time.GetUtcNow().UtcDateTime;

        foreach (var file in new DirectoryInfo(Directory).EnumerateFiles())
        {
            if (file.Name.StartsWith(TempPrefix, StringComparison.Ordinal))
            {
                if (now - file.LastWriteTimeUtc > StaleTempAge)
                {
                    file.Delete();
                    staleTemps++;
                }

                continue;
            }

            if (!BlobHash.TryParse(file.Name, out var hash))
            {
                continue;
            }

            present.Add(hash);
            if (!rehashAll && known.TryGetValue(hash, out var row) &&
                row.Length == file.Length && row.ModifiedTicks == file.LastWriteTimeUtc.Ticks)
            {
                continue;
            }

            toHash.Add((hash, file));
        }

        var good = new ConcurrentBag<(BlobHash Hash, FileStamp Stamp)>();
        var corrupt = new ConcurrentBag<BlobHash>();
        var options = new ParallelOptions
        {
            CancellationToken = cancellationToken,
            MaxDegreeOfParallelism = Environment.ProcessorCount,
        };
        Parallel.ForEach(toHash, options, entry =>
        {
            // Stamped before the read, and strict only if the file had not changed just before it (a write in the same
            // tick could leave the times as they were): the blob server then trusts it from its first serve.
            var readFrom = _time.GetUtcNow();
            var stamp = FileStamp.Strict(entry.File.FullName);
            if (FileHashesTo(entry.File, entry.Hash))
            {
                good.Add((entry.Hash, stamp.IsKnown ? stamp.SettledBefore(readFrom) : new FileStamp(entry.File.Length, entry.File.LastWriteTimeUtc.Ticks)));
            }
            else
            {
                corrupt.Add(entry.Hash);
            }

            bytesHashed?.Report(entry.File.Length);
        });

        var missing = known.Keys.Where(hash => !present.Contains(hash)).ToList();
        var added = good.Where(entry => !known.ContainsKey(entry.Hash)).Select(entry => entry.Hash).ToList();

        foreach (var hash in corrupt)
        {
            File.Delete(PathOf(hash));
        }

        using (var connection = _database.OpenConnection())
        using (var transaction = connection.BeginTransaction())
        {
            Index(connection, good.Select(entry => (entry.Hash.ToString(), entry.Stamp)));

            foreach (var hash in corrupt.Concat(missing))
            {
                using var forget = connection.CreateCommand();
                forget.CommandText = "DELETE FROM blobs WHERE hash = $hash";
                forget.Parameters.AddWithValue("$hash", hash.ToString());
                forget.ExecuteNonQuery();
            }

            transaction.Commit();
        }

        return new ReconcileReport(
            Checked: present.Count,
            Hashed: toHash.Count,
            Added: Sorted(added),
            Missing: Sorted(missing),
            Corrupt: Sorted(corrupt),
            StaleTemporaryFilesRemoved: staleTemps);
    }

    private static List<BlobHash> Sorted(IEnumerable<BlobHash> hashes) =>
        hashes.OrderBy(hash => hash.ToString(), StringComparer.Ordinal).ToList();

    private static bool FileHashesTo(FileInfo file, BlobHash expected)
    {
        if (file.Length > MaxBlobSize)
        {
            return false;
        }

        Span<byte> digest = stackalloc byte[BlobHash.Size];
        try
        {
            using var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
            SHA384.HashData(stream, digest);
        }
        catch (FileNotFoundException)
        {
            return false;
        }

        return digest.SequenceEqual(expected.Bytes);
    }

    internal string TempPath(string hashHex, Guid id) => Path.Combine(Directory, $"{TempPrefix}{hashHex}-{id:N}");

    /// <summary>
    /// The stamp the index holds for a blob's file (length, modification time, and the change time when it was known
    /// good under a strict stamp), or <see cref="FileStamp.Unknown"/>.
    /// </summary>
    internal FileStamp RecordedStamp(BlobHash hash)
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT length, modified_ticks, changed_ticks FROM blobs WHERE hash = $hash";
        command.Parameters.AddWithValue("$hash", hash.ToString());
        using var reader = command.ExecuteReader();
        return reader.Read() ? new FileStamp(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2)) : FileStamp.Unknown;
    }

    /// <summary>
    /// Records a strict stamp for a blob whose file was just checked against its hash (rows written before change times
    /// were kept gain one), so the next run trusts it from its first serve. A row of another length is left alone.
    /// </summary>
    internal void Restamp(BlobHash hash, FileStamp stamp)
    {
        if (!stamp.IsStrict)
        {
            return;
        }

        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText =
            "UPDATE blobs SET modified_ticks = $modified, changed_ticks = $changed WHERE hash = $hash AND length = $length";
        command.Parameters.AddWithValue("$hash", hash.ToString());
        command.Parameters.AddWithValue("$length", stamp.Length);
        command.Parameters.AddWithValue("$modified", stamp.LastWriteUtcTicks);
        command.Parameters.AddWithValue("$changed", stamp.ChangeUtcTicks);
        command.ExecuteNonQuery();
    }

    internal void Index(IEnumerable<(string HashHex, FileStamp Stamp)> blobs)
    {
        using (var connection = _database.OpenConnection())
        using (var transaction = connection.BeginTransaction())
        {
            Index(connection, blobs);
            transaction.Commit();
        }

        BlobsWritten?.Invoke();
    }

    /// <summary>Records blobs with one prepared statement, so a large batch makes no garbage per row.</summary>
    private void Index(SqliteConnection connection, IEnumerable<(string HashHex, FileStamp Stamp)> blobs)
    {
        using var command = connection.CreateCommand();
        command.CommandText =
            "INSERT INTO blobs (hash, length, modified_ticks, changed_ticks, added_at) VALUES ($hash, $length, $modified, $changed, $now) " +
            "ON CONFLICT(hash) DO UPDATE SET length = excluded.length, modified_ticks = excluded.modified_ticks, changed_ticks = excluded.changed_ticks";
        var hash = command.Parameters.Add("$hash", SqliteType.Text);
        var length = command.Parameters.Add("$length", SqliteType.Integer);
        var modified = command.Parameters.Add("$modified", SqliteType.Integer);
        var changed = command.Parameters.Add("$changed", SqliteType.Integer);
        command.Parameters.AddWithValue("$now", _time.GetUtcNow().ToUnixTimeSeconds());
        command.Prepare();
        foreach (var blob in blobs)
        {
            hash.Value = blob.HashHex;
            length.Value = blob.Stamp.Length;
            modified.Value = blob.Stamp.LastWriteUtcTicks;
            changed.Value = blob.Stamp.ChangeUtcTicks;
            command.ExecuteNonQuery();
        }
    }

    private Dictionary<BlobHash, (long Length, long ModifiedTicks)> LoadIndex()
    {
        var rows = new Dictionary<BlobHash, (long, long)>();
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT hash, length, modified_ticks FROM blobs";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            if (BlobHash.TryParse(reader.GetString(0), out var hash))
            {
                rows[hash] = (reader.GetInt64(1), reader.GetInt64(2));
            }
        }

        return rows;
    }

    internal static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Left for the next reconcile, which removes stale temporary files.
        }
    }
}
