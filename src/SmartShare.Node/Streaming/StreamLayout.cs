using SmartShare.Lbry.Streams;

namespace SmartShare.Node.Streaming;

/// <summary>
/// Where each plaintext byte of a stream lives, so a byte range can be served before the file is complete.
/// lbry-sdk's layout makes every blob but the last a full 2 MiB blob holding 2,097,151 plaintext bytes; only the
/// last blob's plaintext length must be learned by decrypting it. Streams laid out otherwise can be streamed only
/// once complete (their offsets are unknown until every blob is decrypted).
/// </summary>
public sealed class StreamLayout
{
    public const int PlaintextPerFullBlob = StreamEncryptor.PlaintextPerBlob;

    private StreamLayout(int blobCount, long length)
    {
        BlobCount = blobCount;
        Length = length;
    }

    public int BlobCount { get; }

    /// <summary>Plaintext length of the whole file.</summary>
    public long Length { get; }

    /// <summary>Whether offsets can be computed from the descriptor and the last blob alone.</summary>
    public static bool IsStandard(StreamDescriptor descriptor)
    {
        return SmartShare.Lbry.Downloads.PartialFileCheck.HasStandardLayout(descriptor);
    }

    /// <summary>The layout of a standard stream whose last blob decrypts to <paramref name="lastBlobPlaintext"/> bytes.</summary>
    public static StreamLayout Create(StreamDescriptor descriptor, int lastBlobPlaintext)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        var count = descriptor.DataBlobCount;
        return new StreamLayout(count, ((long)(count - 1) * PlaintextPerFullBlob) + lastBlobPlaintext);
    }

    /// <summary>The blob holding plaintext byte <paramref name="offset"/>.</summary>
    public int BlobAt(long offset) => (int)Math.Min(offset / PlaintextPerFullBlob, BlobCount - 1);

    /// <summary>The plaintext offset at which blob <paramref name="index"/> starts.</summary>
    public static long StartOf(int index) => (long)index * PlaintextPerFullBlob;
}
