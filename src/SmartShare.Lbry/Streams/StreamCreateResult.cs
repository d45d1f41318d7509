using SmartShare.Lbry.Blobs;

namespace SmartShare.Lbry.Streams;

/// <summary>The result of making a file into a stream in the local store.</summary>
public sealed record StreamCreateResult(BlobHash SdHash, StreamDescriptor Descriptor, string SourcePath, long Size, int SdBlobLength);
