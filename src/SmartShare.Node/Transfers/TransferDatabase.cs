using SmartShare.Lbry;
using SmartShare.Storage;

namespace SmartShare.Node.Transfers;

/// <summary>
/// The one table of transfers (<c>transfers</c>: a row per stream or torrent, keyed by its sd hash or info hash) in
/// the node's database. Releases before it kept streams in <c>files</c> and torrents in <c>torrents</c>; opening
/// brings those tables to their last schema first, then the <c>node_transfers</c> migration copies every row over
/// once. The old tables are left as they were, so an older release run on the same folder still finds its list.
/// </summary>
internal static class TransferDatabase
{
    public const string Component = "node_transfers";

    // The schemas of the old tables exactly as the releases wrote them, so any older database reaches their last version.
    private static readonly string[] LegacyFiles =
    [
        """
        CREATE TABLE files (
            sd_hash TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            status TEXT NOT NULL,
            download_directory TEXT,
            path TEXT,
            stream_name TEXT,
            error TEXT,
            peers TEXT NOT NULL DEFAULT '',
            added_at INTEGER NOT NULL,
            completed_at INTEGER
        )
        """,
        "ALTER TABLE files ADD COLUMN private INTEGER NOT NULL DEFAULT 0",
    ];

    private static readonly string[] LegacyTorrents =
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
        "ALTER TABLE torrents ADD COLUMN magnet TEXT",
    ];

    private static readonly string[] Schema =
    [
        // path: a stream's file; a torrent's top entry under download_directory. total_length: a torrent's size, -1
        // while a magnet's metadata has not come. metainfo: a torrent's .torrent bytes, empty until then.
        """
        CREATE TABLE transfers (
            key TEXT PRIMARY KEY,
            network TEXT NOT NULL CHECK (network IN ('stream', 'torrent')),
            direction TEXT NOT NULL,
            status TEXT NOT NULL,
            name TEXT,
            download_directory TEXT,
            path TEXT,
            error TEXT,
            peers TEXT NOT NULL DEFAULT '',
            private INTEGER NOT NULL DEFAULT 0,
            total_length INTEGER,
            metainfo BLOB,
            magnet TEXT,
            added_at INTEGER NOT NULL,
            completed_at INTEGER
        );
        INSERT INTO transfers (key, network, direction, status, name, download_directory, path, error, peers, private, added_at, completed_at)
            SELECT sd_hash, 'stream', kind, status, stream_name, download_directory, path, error, peers, private, added_at, completed_at FROM files;
        INSERT INTO transfers (key, network, direction, status, name, download_directory, path, error, peers, total_length, metainfo, magnet, added_at, completed_at)
            SELECT info_hash, 'torrent', kind, status, name, download_directory, root_name, error, peers, total_length, metainfo, magnet, added_at, completed_at FROM torrents;
        """,

        // Payload bytes uploaded to peers over every run (UploadLedger), so ratios survive a restart.
        "ALTER TABLE transfers ADD COLUMN uploaded INTEGER NOT NULL DEFAULT 0",
    ];

    /// <summary>Opens the node's database with the <c>transfers</c> table in place (and the old rows carried over).</summary>
    public static SqliteDatabase Open(string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(dataDirectory);
        var path = Path.Combine(Path.GetFullPath(dataDirectory), LbryStorage.DatabaseFileName);
        SqliteDatabase.Open(path, "node_files", LegacyFiles);
        SqliteDatabase.Open(path, "node_torrents", LegacyTorrents);
        return SqliteDatabase.Open(path, Component, Schema);
    }
}
