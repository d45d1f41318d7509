namespace SmartShare.Lbry.Blobs;

/// <summary>What bringing the blob index in line with the blob folder found and did.</summary>
public sealed record ReconcileReport(
    int Checked,
    int Hashed,
    IReadOnlyList<BlobHash> Added,
    IReadOnlyList<BlobHash> Missing,
    IReadOnlyList<BlobHash> Corrupt,
    int StaleTemporaryFilesRemoved)
{
    public bool FoundProblems => Missing.Count > 0 || Corrupt.Count > 0;
}
