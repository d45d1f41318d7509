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
    /// <summary>Hashes of each kind (missing, corrupt) shown to a user at most: by `status`, and by the CLI's start-up warnings.</summary>
    public const int MaxListed = 100;

    /// <summary>One report for two passes over the same store (the later pass's counts are kept).</summary>
    public ReconcileReport Merge(ReconcileReport earlier)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        return this with
        {
            Added = Union(earlier.Added, Added),
            Missing = Union(earlier.Missing, Missing),
            Corrupt = Union(earlier.Corrupt, Corrupt),
            StaleTemporaryFilesRemoved = earlier.StaleTemporaryFilesRemoved + StaleTemporaryFilesRemoved,
        };
    }

    private static List<BlobHash> Union(IEnumerable<BlobHash> first, IEnumerable<BlobHash> second) =>
        first.Union(second).OrderBy(hash => hash.ToString(), StringComparer.Ordinal).ToList();
}
