using Microsoft.Extensions.Logging;
using SmartShare.Lbry;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Streams;

namespace SmartShare.Node.Downloads;

/// <summary>
/// Deletes a removed stream's blobs (its sd blob and data blobs, partial or whole) from the store, except those a
/// stream still listed needs, and forgets the stream in the index, so it is neither announced nor served again. Run
/// after its row left the file list: a crash in between leaves orphan blobs, never a listed stream without blobs.
/// </summary>
internal sealed partial class StreamBlobRemover(LbryStorage storage, FileStore files, ILogger logger)
{
    /// <summary>Returns how many blobs were deleted; a blob that cannot be deleted is logged and left.</summary>
    public int Remove(BlobHash sdHash)
    {
        // What the removed stream is made of: its descriptor's blobs, else what the index recorded for it.
        var blobs = StreamBlobs.Of(sdHash, TryReadDescriptor(sdHash)).Concat(storage.Streams.BlobsOf(sdHash)).ToList();
        storage.Streams.Remove(sdHash);

        var needed = StreamBlobs.Needed(StillListed(sdHash));
        var deleted = 0;
        foreach (var blob in StreamBlobs.Removable(blobs, needed))
        {
            // Another stream the index holds (listed, or unlisted from before removals deleted blobs) keeps it.
            if (storage.Streams.StreamsContaining(blob).Count > 0)
            {
                continue;
            }

            try
            {
                storage.Blobs.Delete(blob);
                deleted++;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Storage.StorageException or Microsoft.Data.Sqlite.SqliteException)
            {
                LogBlobNotDeleted(logger, blob, sdHash, ex.Message);
            }
        }

        LogRemoved(logger, sdHash, deleted);
        return deleted;
    }

    // Every stream still listed with its descriptor when its blob list is not in the index (a download not complete
    // yet); an indexed stream's data blobs are found through the index instead of reading every descriptor.
    private IEnumerable<(BlobHash SdHash, StreamDescriptor? Descriptor)> StillListed(BlobHash removed)
    {
        var indexed = storage.Streams.List().Select(stream => stream.SdHash).ToHashSet();
        foreach (var record in files.List())
        {
            if (record.SdHash == removed)
            {
                continue;
            }

            yield return (record.SdHash, indexed.Contains(record.SdHash) ? null : TryReadDescriptor(record.SdHash));
        }
    }

    private StreamDescriptor? TryReadDescriptor(BlobHash sdHash)
    {
        try
        {
            return storage.Blobs.Contains(sdHash) ? new StreamDecryptor(storage).ReadDescriptor(sdHash) : null;
        }
        catch (Exception ex) when (ex is LbryDataException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {SdHash}: deleted {Count} of its blobs.")]
    private static partial void LogRemoved(ILogger logger, BlobHash sdHash, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete blob {Blob} of the removed stream {SdHash}: {Reason}")]
    private static partial void LogBlobNotDeleted(ILogger logger, BlobHash blob, BlobHash sdHash, string reason);
}
