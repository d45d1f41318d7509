namespace SmartShare.Lbry.Blobs;

/// <summary>Blob bytes that do not hash to their name, or do not have the length the descriptor gives.</summary>
public sealed class CorruptBlobException : LbryDataException
{
    public CorruptBlobException(BlobHash hash, string message)
        : base(message)
    {
        Hash = hash;
    }

    public BlobHash Hash { get; }
}
