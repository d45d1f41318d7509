using System.Buffers;

namespace SmartShare.Lbry.Blobs;

/// <summary>
/// The pool for blob-sized buffers (received blobs, blobs read back for decryption or streaming). The shared
/// pool keeps up to 32 arrays per size on every core, which for 2 MiB buffers can hold on to 100+ MiB after a
/// burst; this one keeps at most <see cref="MaxRetained"/> per size, about what the transfers have in flight.
/// </summary>
public static class BlobBuffers
{
    public const int MaxRetained = 16;

    public static ArrayPool<byte> Pool { get; } = ArrayPool<byte>.Create(BlobStore.MaxBlobSize, MaxRetained);
}
