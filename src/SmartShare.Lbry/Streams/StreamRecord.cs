using SmartShare.Lbry.Blobs;

namespace SmartShare.Lbry.Streams;

/// <summary>A stream the node knows: shared from a local file, or (later) downloaded.</summary>
public sealed record StreamRecord(
    BlobHash SdHash,
    string StreamHash,
    string StreamName,
    string SuggestedFileName,
    int BlobCount,
    long SizeUpperBound,
    string? SourcePath,
    DateTimeOffset CreatedAt);
