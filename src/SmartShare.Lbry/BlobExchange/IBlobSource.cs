using System.Buffers;
using SmartShare.Lbry.Blobs;

namespace SmartShare.Lbry.BlobExchange;

/// <summary>
/// Blobs the server can answer beside the files of its store: a stream held as its plain file, whose encrypted blobs
/// are rebuilt on demand. The server asks only for blobs its store does not have.
/// </summary>
public interface IBlobSource
{
    /// <summary>The blob's length when this source claims it (cheap: no file is read), else null.</summary>
    long? TryGetLength(BlobHash hash);

    /// <summary>
    /// The blob's bytes, checked against its hash, or null when they cannot be produced now (the plain file changed or
    /// went): the server then answers the blob as not available. The caller disposes the owner.
    /// </summary>
    ValueTask<IMemoryOwner<byte>?> ReadAsync(BlobHash hash, CancellationToken cancellationToken);
}
