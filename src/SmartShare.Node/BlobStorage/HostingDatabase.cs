using SmartShare.Lbry;
using SmartShare.Storage;

namespace SmartShare.Node.BlobStorage;

/// <summary>
/// The tables of the blob storage limit and of streams held as plain files (component <c>lbry_hosting</c> in the
/// node's <c>smartshare.db</c>, beside the LBRY storage's <c>blobs</c> table, which it joins but never alters):
/// <c>blob_use</c> (when a blob was last served or read, in milliseconds of the node's clock; a blob without a row
/// counts from when it was added) and <c>plain_streams</c> (a stream served from its plain file: the file's path,
/// length, modification and change times when it was last verified, whether its data blobs were dropped, and whether the file
/// has since been found changed or gone).
/// </summary>
internal static class HostingDatabase
{
    public const string Component = "lbry_hosting";

    private static readonly string[] Schema =
    [
        """
        CREATE TABLE blob_use (
            hash TEXT PRIMARY KEY,
            last_used INTEGER NOT NULL);
        CREATE TABLE plain_streams (
            sd_hash TEXT PRIMARY KEY,
            path TEXT NOT NULL,
            length INTEGER NOT NULL,
            modified_ticks INTEGER NOT NULL,
            blobs_dropped INTEGER NOT NULL DEFAULT 0,
            broken TEXT,
            checked_at INTEGER NOT NULL);
        """,
        // The file's change time beside its modification time (a strict FileStamp); 0 in rows written before.
        "ALTER TABLE plain_streams ADD COLUMN changed_ticks INTEGER NOT NULL DEFAULT 0;",
    ];

    public static SqliteDatabase Open(string dataDirectory) =>
        SqliteDatabase.Open(Path.Combine(Path.GetFullPath(dataDirectory), LbryStorage.DatabaseFileName), Component, Schema);
}
