namespace SmartShare.Lbry.Blobs;

/// <summary>
/// Blob-sized buffers reused across the chunks of one stream operation, so memory stays at the pipeline's
/// window whatever the file size. Not thread-safe: rent and return from the pipeline's ordered steps.
/// </summary>
internal sealed class BlobBufferPool
{
    private readonly Stack<byte[]> _free = new();

    public byte[] Rent() => _free.Count > 0 ? _free.Pop() : GC.AllocateUninitializedArray<byte>(BlobStore.MaxBlobSize);

    public void Return(byte[] buffer) => _free.Push(buffer);
}
