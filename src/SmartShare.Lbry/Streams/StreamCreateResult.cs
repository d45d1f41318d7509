using SmartShare.IO;
using SmartShare.Lbry.Blobs;

namespace SmartShare.Lbry.Streams;

/// <summary>
/// The result of making a file into a stream in the local store. <paramref name="SourceStamp"/> is the source as it was
/// read (the same before and after), or <see cref="FileStamp.Unknown"/> when it moved meanwhile: while the file keeps
/// that stamp its bytes are the stream's plaintext, so holding it needs no second pass over it.
/// </summary>
public sealed record StreamCreateResult(BlobHash SdHash, StreamDescriptor Descriptor, string SourcePath, long Size, int SdBlobLength, FileStamp SourceStamp);
