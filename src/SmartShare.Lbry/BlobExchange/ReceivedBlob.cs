using System.Buffers;
using SmartShare.Lbry.Blobs;

namespace SmartShare.Lbry.BlobExchange;

/// <summary>
/// A blob received from a peer whose length and SHA-384 were checked against <see cref="Hash"/>. Its bytes live
/// in a buffer rented from <see cref="BlobBuffers.Pool"/>; dispose it once, after the last use.
/// </summary>
public sealed class ReceivedBlob : IDisposable
{
    private byte[]? _buffer;

    internal ReceivedBlob(BlobHash hash, byte[] buffer, int length)
    {
        Hash = hash;
        _buffer = buffer;
        Length = length;
    }

    public BlobHash Hash { get; }

    public int Length { get; }

    public ReadOnlyMemory<byte> Content =>
        new(_buffer ?? throw new ObjectDisposedException(nameof(ReceivedBlob)), 0, Length);

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            BlobBuffers.Pool.Return(buffer);
        }
    }
}
