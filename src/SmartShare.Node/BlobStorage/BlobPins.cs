using SmartShare.Lbry;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Streams;
using SmartShare.Node.Downloads;

namespace SmartShare.Node.BlobStorage;

/// <summary>
/// Which blobs the storage limit may never evict: the sd blob of every listed stream, every blob of the user's own
/// shares, and every blob of a download not complete yet (its descriptor's, and what the index records). The rest is
/// cache: data blobs of finished downloads (other people's streams) and blobs of no listed stream.
/// </summary>
internal static class BlobPins
{
    public static HashSet<BlobHash> Compute(LbryStorage storage, FileStore files)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(files);
        var pinned = new HashSet<BlobHash>();
        foreach (var record in files.List())
        {
            pinned.Add(record.SdHash);
            if (record.Kind == FileKind.Download && record.Status == FileStatus.Completed)
            {
                continue;
            }

            pinned.UnionWith(storage.Streams.BlobsOf(record.SdHash));
            pinned.UnionWith(StreamBlobs.Of(record.SdHash, TryReadDescriptor(storage, record.SdHash)));
        }

        return pinned;
    }

    private static StreamDescriptor? TryReadDescriptor(LbryStorage storage, BlobHash sdHash)
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
}
