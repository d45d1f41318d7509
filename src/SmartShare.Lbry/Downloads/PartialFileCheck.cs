using Microsoft.Win32.SafeHandles;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Streams;

namespace SmartShare.Lbry.Downloads;

/// <summary>
/// What a partial file left by a stopped or killed download still holds: the longest run of data blobs from the start
/// whose plaintext, re-encrypted with the stream key and the blob's IV, hashes to the blob's hash. The blobs are
/// checked on all cores; whatever follows the first blob that does not match (a write the kill cut, bytes changed on
/// disk) is fetched again. Only for streams laid out as lbry-sdk lays them (every blob but the last 2 MiB - 1
/// plaintext bytes), where each blob's place in the file follows from its number.
/// </summary>
public static class PartialFileCheck
{
    /// <summary>How many data blobs the file holds from its start, and their plaintext bytes.</summary>
    public static (int Blobs, long Bytes) GoodPrefix(SafeFileHandle file, long fileLength, StreamDescriptor descriptor, ReadOnlySpan<byte> key)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(descriptor);
        var count = descriptor.DataBlobCount;
        var candidates = 0;
        while (candidates < count && PlainLengthIn(descriptor, candidates, fileLength) >= 0)
        {
            candidates++;
        }

        var firstBad = candidates;
        var keyCopy = key.ToArray();
        Parallel.For(0, candidates, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, (index, state) =>
        {
            if (index > Volatile.Read(ref firstBad) || Matches(file, descriptor, keyCopy, index, PlainLengthIn(descriptor, index, fileLength)))
            {
                return;
            }

            int seen;
            while (index < (seen = Volatile.Read(ref firstBad)) && Interlocked.CompareExchange(ref firstBad, index, seen) != seen)
            {
            }
        });

        return (firstBad, firstBad == 0 ? 0 : OffsetOf(firstBad - 1) + PlainLengthIn(descriptor, firstBad - 1, fileLength));
    }

    /// <summary>Whether the stream's blobs can be placed in its file by their numbers alone (lbry-sdk's layout).</summary>
    public static bool HasStandardLayout(StreamDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        return descriptor.DataBlobs.SkipLast(1).All(blob => blob.Length == BlobStore.MaxBlobSize);
    }

    /// <summary>Where data blob <paramref name="index"/>'s plaintext starts in a file of the standard layout.</summary>
    public static long OffsetOf(int index) => (long)index * StreamEncryptor.PlaintextPerBlob;

    // The plaintext length blob `index` has in a file of `fileLength` bytes, or -1 when the file does not reach its end.
    private static int PlainLengthIn(StreamDescriptor descriptor, int index, long fileLength)
    {
        var rest = fileLength - OffsetOf(index);
        if (index < descriptor.DataBlobCount - 1)
        {
            return rest >= StreamEncryptor.PlaintextPerBlob ? StreamEncryptor.PlaintextPerBlob : -1;
        }

        // The last blob is whatever the file has left, which must pad to the blob's length.
        return rest is > 0 and <= int.MaxValue && PlainFileLayout.PaddedLength((int)rest) == descriptor.Blobs[index].Length ? (int)rest : -1;
    }

    private static bool Matches(SafeFileHandle file, StreamDescriptor descriptor, byte[] key, int index, int plainLength)
    {
        var buffer = BlobBuffers.Pool.Rent(BlobStore.MaxBlobSize);
        try
        {
            var filled = 0;
            while (filled < plainLength)
            {
                var read = RandomAccess.Read(file, buffer.AsSpan(filled, plainLength - filled), OffsetOf(index) + filled);
                if (read == 0)
                {
                    return false;
                }

                filled += read;
            }

            return BlobReencryptor.TryEncryptPlaintext(buffer.AsSpan(0, plainLength), descriptor, key, index, buffer) >= 0;
        }
        finally
        {
            BlobBuffers.Pool.Return(buffer);
        }
    }
}
