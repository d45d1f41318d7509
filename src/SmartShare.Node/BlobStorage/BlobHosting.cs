using SmartShare.Lbry.BlobExchange;
using SmartShare.Lbry.Blobs;

namespace SmartShare.Node.BlobStorage;

/// <summary>
/// What the blob server needs of the storage limit and of plain-file streams: where blobs the store lacks come from,
/// and a note of each blob served (a use, for the least-recently-used order).
/// </summary>
public sealed class BlobHosting
{
    private readonly BlobUseLog _uses;

    internal BlobHosting(PlainFileStreams plainFiles, BlobUseLog uses)
    {
        Source = plainFiles;
        _uses = uses;
    }

    public IBlobSource Source { get; }

    public void Served(BlobHash blob) => _uses.Touch(blob);
}
