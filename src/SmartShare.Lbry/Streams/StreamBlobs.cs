using SmartShare.Lbry.Blobs;

namespace SmartShare.Lbry.Streams;

/// <summary>
/// Which blobs a stream is made of, and which of a removed stream's blobs no stream still listed needs: the rule a
/// removal (<c>file_delete</c>) deletes blobs by. Pure: the caller reads the descriptors.
/// </summary>
public static class StreamBlobs
{
    /// <summary>The stream's sd blob and, when its descriptor is known, its data blobs (the terminator has none).</summary>
    public static IEnumerable<BlobHash> Of(BlobHash sdHash, StreamDescriptor? descriptor)
    {
        yield return sdHash;
        foreach (var blob in descriptor?.DataBlobs ?? [])
        {
            if (blob.BlobHash is { } hash)
            {
                yield return hash;
            }
        }
    }

    /// <summary>
    /// Every blob the given streams need: each one's sd blob and the data blobs its descriptor names (null when the
    /// descriptor is not known: then only its sd blob, since a download fetches no data blob before its descriptor).
    /// </summary>
    public static HashSet<BlobHash> Needed(IEnumerable<(BlobHash SdHash, StreamDescriptor? Descriptor)> streams)
    {
        ArgumentNullException.ThrowIfNull(streams);
        var needed = new HashSet<BlobHash>();
        foreach (var (sdHash, descriptor) in streams)
        {
            needed.UnionWith(Of(sdHash, descriptor));
        }

        return needed;
    }

    /// <summary>The blobs of a removed stream that none of <paramref name="needed"/> is, each once, sd blob first.</summary>
    public static IReadOnlyList<BlobHash> Removable(IEnumerable<BlobHash> blobsOfRemoved, IReadOnlySet<BlobHash> needed)
    {
        ArgumentNullException.ThrowIfNull(blobsOfRemoved);
        ArgumentNullException.ThrowIfNull(needed);
        return [.. blobsOfRemoved.Distinct().Where(blob => !needed.Contains(blob))];
    }
}
