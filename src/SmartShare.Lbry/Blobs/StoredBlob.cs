namespace SmartShare.Lbry.Blobs;

/// <summary>A blob the store holds.</summary>
public readonly record struct StoredBlob(BlobHash Hash, long Length);
