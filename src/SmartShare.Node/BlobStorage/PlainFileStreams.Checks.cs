using SmartShare.IO;
using SmartShare.Lbry.Blobs;
using SmartShare.Node.Downloads;

namespace SmartShare.Node.BlobStorage;

/// <summary>The checks of held files: each minute's look at every file, and the retries of those found broken.</summary>
internal sealed partial class PlainFileStreams
{
    /// <summary>
    /// Checks each held stream's file: gone or another length means broken at once; another stamp (a modification or
    /// change time moved), or <paramref name="rehash"/>, means every blob is rebuilt and matched again. Streams whose file was restored are
    /// held again. Drops blobs that <c>keep_stream_blobs</c> no longer keeps. Returns how many streams are broken.
    /// </summary>
    public int Check(bool rehash)
    {
        foreach (var held in _streams.Values.ToList())
        {
            var readFrom = time.GetUtcNow();
            var now = StampNow(held.Path);
            var changed = !held.Stamp.Vouches(now);
            string? reason = null;
            if (!now.IsKnown)
            {
                reason = $"the file {held.Path} is gone";
            }
            else if (now.Length != held.Layout.FileLength)
            {
                reason = $"the file {held.Path} is now {now.Length} bytes, not the {held.Layout.FileLength} it was";
            }
            else if ((rehash || changed) && !CheckWhole(held, out reason))
            {
                reason ??= $"the file {held.Path} changed";
            }
            else if (rehash || changed)
            {
                // Matched whole as it was stamped before the pass (a write during it moves the stamp again).
                held.Stamp = now.SettledBefore(readFrom);
                table.Upsert(held.SdHash, held.Path, held.Stamp, held.BlobsDropped, broken: null);
            }

            if (reason is not null)
            {
                MarkBroken(held.SdHash, held.Path, reason);
            }
            else
            {
                DropBlobsIfAllowed(held);
            }
        }

        foreach (var row in table.List().Where(row => row.Broken is not null && files.Find(row.SdHash) is not null))
        {
            TryRestore(row, force: rehash);
        }

        return table.List().Count(row => row.Broken is not null);
    }

    // A broken file is looked at again only when its times moved since it was found broken (or when blob_verify asks),
    // so a changed large file is not re-hashed every minute.
    private void TryRestore(PlainStreamRow row, bool force)
    {
        var now = StampNow(row.Path);
        if (!now.IsKnown || (!force && row.Stamp.Vouches(now with { Length = row.Length })))
        {
            return;
        }

        if (!TryBuild(row.SdHash, row.Path, row.Length, out var held, out _) || !CheckWhole(held!, out _))
        {
            table.Upsert(row.SdHash, row.Path, now with { Length = row.Length }, row.BlobsDropped, row.Broken);
            return;
        }

        lock (_holdGate)
        {
            table.Upsert(row.SdHash, held!.Path, held.Stamp, row.BlobsDropped, broken: null);
            Add(held);
        }

        if (files.Find(row.SdHash) is { Status: FileStatus.Failed } record && record.Error == row.Broken)
        {
            files.Upsert(record with { Status = FileStatus.Completed, Error = null });
        }

        LogRestored(logger, row.SdHash, row.Path);
    }

    private void MarkBroken(BlobHash sdHash, string path, string reason)
    {
        lock (_holdGate)
        {
            if (_streams.TryRemove(sdHash, out var held))
            {
                RemoveBlobs(held);
            }

            var row = table.Find(sdHash);
            if (row is null || row.Broken is not null)
            {
                return;
            }

            var descriptor = held?.Descriptor;
            var dropped = descriptor is null || descriptor.DataBlobs.Any(blob => !storage.Blobs.Contains(blob.BlobHash!.Value));
            var sentence = dropped
                ? $"This stream is not served: {reason}, and its encrypted blobs were not kept (keep_stream_blobs is off). " +
                  "Restore the file, or start the stream again (file_set_status start) to download its blobs again."
                : $"The plain file no longer matches this stream ({reason}); it is served from its blobs, which were kept.";
            // The file's times now, so a later check retries only once the file is touched again.
            var now = StampNow(path);
            var seen = now.IsKnown ? now with { Length = row.Length } : row.Stamp;
            table.Upsert(sdHash, path, seen, row.BlobsDropped, sentence);
            if (dropped && files.Find(sdHash) is { } record)
            {
                files.Upsert(record with { Status = FileStatus.Failed, Error = sentence });
            }
        }

        LogBroken(logger, sdHash, path, reason);
    }

    // A held file's stamp now: strict where the system allows, following a symbolic link (a share's source may be one).
    // Kept as the stamp of content read after it only when settled (FileStamp.SettledBefore).
    private static FileStamp StampNow(string path) => FileStamp.Strict(path, followLinks: true);
}
