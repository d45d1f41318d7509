using SmartShare.Lbry.Blobs;

namespace SmartShare.Lbry.BlobExchange;

/// <summary>
/// The <c>incoming_blob</c> part of a response: either the blob that follows the header and its length,
/// or an error in place of it (which lbry-sdk servers never send, but the format allows).
/// </summary>
public sealed class IncomingBlob
{
    public IncomingBlob(BlobHash hash, long length)
    {
        Hash = hash;
        Length = length;
    }

    private IncomingBlob(string error) => Error = error;

    /// <summary>The blob that follows; null when <see cref="Error"/> is set.</summary>
    public BlobHash? Hash { get; }

    /// <summary>How many raw bytes follow the header.</summary>
    public long Length { get; }

    public string? Error { get; }

    public static IncomingBlob Failed(string error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return new IncomingBlob(error);
    }
}
