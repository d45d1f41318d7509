using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Dht;
using SmartShare.Lbry.Streams;
using SmartShare.Storage;

namespace SmartShare.Lbry;

/// <summary>
/// The LBRY content under a data directory: the blob folder (<c>blobs/</c>) and the tables of the node's
/// database (<c>smartshare.db</c>) that index blobs and streams.
/// </summary>
public sealed class LbryStorage
{
    public const string DatabaseFileName = "smartshare.db";
    public const string BlobFolderName = "blobs";

    private static readonly string[] Schema =
    [
        """
        CREATE TABLE blobs (
            hash TEXT PRIMARY KEY,
            length INTEGER NOT NULL,
            modified_ticks INTEGER NOT NULL,
            added_at INTEGER NOT NULL);
        CREATE TABLE streams (
            sd_hash TEXT PRIMARY KEY,
            stream_hash TEXT NOT NULL,
            stream_name TEXT NOT NULL,
            suggested_file_name TEXT NOT NULL,
            blob_count INTEGER NOT NULL,
            size_upper_bound INTEGER NOT NULL,
            source_path TEXT,
            created_at INTEGER NOT NULL);
        CREATE TABLE stream_blobs (
            sd_hash TEXT NOT NULL REFERENCES streams(sd_hash) ON DELETE CASCADE,
            blob_num INTEGER NOT NULL,
            blob_hash TEXT NOT NULL,
            length INTEGER NOT NULL,
            PRIMARY KEY (sd_hash, blob_num));
        CREATE INDEX stream_blobs_by_blob ON stream_blobs(blob_hash);
        """,
        """
        CREATE TABLE dht_contacts (
            node_id BLOB NOT NULL,
            address TEXT NOT NULL,
            udp_port INTEGER NOT NULL,
            last_replied INTEGER NOT NULL,
            PRIMARY KEY (address, udp_port));
        """,

        // A blob file's inode change time as the node last knew it good (its strict stamp; 0 where unknown, as in rows
        // written before this column): the blob server trusts such a file from its first serve while it is unchanged.
        "ALTER TABLE blobs ADD COLUMN changed_ticks INTEGER NOT NULL DEFAULT 0;",
    ];

    private LbryStorage(string dataDirectory, BlobStore blobs, StreamIndex streams, DhtContactStore contacts, ReconcileReport startup)
    {
        DataDirectory = dataDirectory;
        Blobs = blobs;
        Streams = streams;
        Contacts = contacts;
        StartupReport = startup;
    }

    public string DataDirectory { get; }

    public BlobStore Blobs { get; }

    public StreamIndex Streams { get; }

    /// <summary>The DHT contacts saved at shutdown, to rejoin without a bootstrap node.</summary>
    public DhtContactStore Contacts { get; }

    /// <summary>What reconciling the index with the blob folder at opening found.</summary>
    public ReconcileReport StartupReport { get; }

    /// <summary>
    /// Opens (creating if needed) the storage under <paramref name="dataDirectory"/> and reconciles the
    /// blob index with the blob folder, hashing only files that are new or changed since last seen.
    /// </summary>
    /// <param name="time">The clock of the rows' timestamps and of the stale-temporary-file age; default the system clock.</param>
    public static LbryStorage Open(
        string dataDirectory, IProgress<long>? bytesHashed = null, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        time ??= TimeProvider.System;
        var root = Path.GetFullPath(dataDirectory);
        var blobFolder = Path.Combine(root, BlobFolderName);
        try
        {
            Directory.CreateDirectory(blobFolder);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StorageException($"Cannot create the data directory {root}: {ex.Message}", ex);
        }

        var database = SqliteDatabase.Open(Path.Combine(root, DatabaseFileName), "lbry", Schema);
        var blobs = new BlobStore(blobFolder, database, time);
        var report = blobs.Reconcile(rehashAll: false, bytesHashed, cancellationToken);
        return new LbryStorage(root, blobs, new StreamIndex(database, time), new DhtContactStore(database), report);
    }
}
