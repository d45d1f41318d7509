namespace SmartShare.Lbry.Blobs;

/// <summary>A blob the operation needs is not in the local store.</summary>
public sealed class BlobNotFoundException : LbryDataException
{
    public BlobNotFoundException(BlobHash hash, string message)
        : base(message)
    {
        Hash = hash;
    }

    public BlobHash Hash { get; }
}
