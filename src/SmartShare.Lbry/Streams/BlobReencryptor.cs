using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using SmartShare.Crypto;
using SmartShare.Lbry.Blobs;

namespace SmartShare.Lbry.Streams;

/// <summary>
/// Rebuilds a stream's encrypted data blob from its plain file: the blob's plaintext range (<see cref="PlainFileLayout"/>),
/// AES-128-CBC with the stream key and the blob's IV from the descriptor, PKCS#7 as lbry-sdk pads, then SHA-384 of the
/// result against the blob hash. Only a blob whose hash matches is ever returned, so a plain file changed on disk is
/// never served wrong.
/// </summary>
public static class BlobReencryptor
{
    /// <summary>
    /// Writes data blob <paramref name="blobNum"/> into <paramref name="destination"/> (at least its encrypted length)
    /// and returns its length, or -1 when the file no longer yields the blob (changed, or cut short).
    /// </summary>
    /// <exception cref="IOException">The file could not be read.</exception>
    public static int TryEncrypt(
        SafeFileHandle plainFile, StreamDescriptor descriptor, PlainFileLayout layout, ReadOnlySpan<byte> key, int blobNum, Span<byte> destination, bool verify = true)
    {
        ArgumentNullException.ThrowIfNull(plainFile);
        ArgumentNullException.ThrowIfNull(descriptor);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentOutOfRangeException.ThrowIfNegative(blobNum);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(blobNum, layout.BlobCount);
        var info = descriptor.Blobs[blobNum];
        if (destination.Length < info.Length)
        {
            throw new ArgumentException($"Blob {blobNum} needs {info.Length} bytes of room.", nameof(destination));
        }

        var plainLength = layout.PlainLengthOf(blobNum);
        return ReadPlaintext(plainFile, layout, blobNum, destination[..plainLength])
            ? TryEncryptPlaintext(destination[..plainLength], descriptor, key, blobNum, destination, verify)
            : -1;
    }

    /// <summary>
    /// <see cref="TryEncrypt"/> for up to <see cref="AesCbcLanes.MaxLanes"/> data blobs of the stream at once: their
    /// AES-CBC runs interleaved (<see cref="AesCbcLanes"/>), about four blobs in the time of one, where the processor
    /// has the instructions (elsewhere one after the other). <paramref name="results"/>[i] is blob <paramref name="blobNums"/>[i]'s length in
    /// <paramref name="destinations"/>[i], or -1 as <see cref="TryEncrypt"/> says; <paramref name="verify"/>[i] asks
    /// for its hash to be checked.
    /// </summary>
    /// <exception cref="IOException">The file could not be read.</exception>
    public static void TryEncryptMany(
        SafeFileHandle plainFile,
        StreamDescriptor descriptor,
        PlainFileLayout layout,
        byte[] key,
        ReadOnlySpan<int> blobNums,
        ReadOnlySpan<Memory<byte>> destinations,
        ReadOnlySpan<bool> verify,
        Span<int> results)
    {
        ArgumentNullException.ThrowIfNull(plainFile);
        ArgumentNullException.ThrowIfNull(descriptor);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(blobNums.Length, AesCbcLanes.MaxLanes, nameof(blobNums));
        if (destinations.Length != blobNums.Length || verify.Length != blobNums.Length || results.Length < blobNums.Length)
        {
            throw new ArgumentException("One destination, verify flag and result per blob.", nameof(destinations));
        }

        var lanes = new CbcLane[blobNums.Length];
        var laneOf = new int[blobNums.Length];
        var count = 0;
        for (var i = 0; i < blobNums.Length; i++)
        {
            var blobNum = blobNums[i];
            ArgumentOutOfRangeException.ThrowIfNegative(blobNum);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(blobNum, layout.BlobCount);
            var info = descriptor.Blobs[blobNum];
            if (destinations[i].Length < info.Length)
            {
                throw new ArgumentException($"Blob {blobNum} needs {info.Length} bytes of room.", nameof(destinations));
            }

            var plainLength = layout.PlainLengthOf(blobNum);
            var iv = Convert.FromHexString(info.Iv);
            results[i] = -1;
            if (iv.Length == StreamEncryptor.IvSize && destinations[i].Length >= PlainFileLayout.PaddedLength(plainLength) &&
                ReadPlaintext(plainFile, layout, blobNum, destinations[i].Span[..plainLength]))
            {
                laneOf[count] = i;
                lanes[count++] = new CbcLane(destinations[i][..plainLength], iv, destinations[i]);
            }
        }

        Span<int> lengths = stackalloc int[AesCbcLanes.MaxLanes];
        AesCbcLanes.EncryptPkcs7(key, lanes.AsSpan(0, count), lengths);
        for (var lane = 0; lane < count; lane++)
        {
            var i = laneOf[lane];
            var info = descriptor.Blobs[blobNums[i]];
            var length = lengths[lane];
            results[i] = length == info.Length && (!verify[i] || BlobHash.Compute(destinations[i].Span[..length]) == info.BlobHash) ? length : -1;
        }
    }

    // The blob's plaintext range of the file into `destination` (its length); false when the file ends first.
    private static bool ReadPlaintext(SafeFileHandle plainFile, PlainFileLayout layout, int blobNum, Span<byte> destination)
    {
        var offset = layout.OffsetOf(blobNum);
        var filled = 0;
        while (filled < destination.Length)
        {
            var read = RandomAccess.Read(plainFile, destination[filled..], offset + filled);
            if (read == 0)
            {
                return false;
            }

            filled += read;
        }

        return true;
    }

    /// <summary>
    /// Encrypts data blob <paramref name="blobNum"/>'s <paramref name="plaintext"/> (which may be the start of
    /// <paramref name="destination"/>) and returns the blob's length, or -1 when the result is not the blob the
    /// descriptor names (its length, and with <paramref name="verify"/> its hash).
    /// </summary>
    public static int TryEncryptPlaintext(
        ReadOnlySpan<byte> plaintext, StreamDescriptor descriptor, ReadOnlySpan<byte> key, int blobNum, Span<byte> destination, bool verify = true)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        var info = descriptor.Blobs[blobNum];
        if (destination.Length < PlainFileLayout.PaddedLength(plaintext.Length))
        {
            return -1;
        }

        Span<byte> iv = stackalloc byte[StreamEncryptor.IvSize];
        Convert.FromHexString(info.Iv, iv, out _, out _);
        using var aes = Aes.Create();
        aes.Key = key.ToArray();
        var length = aes.EncryptCbc(plaintext, iv, destination, PaddingMode.PKCS7);
        if (length != info.Length || (verify && BlobHash.Compute(destination[..length]) != info.BlobHash))
        {
            return -1;
        }

        return length;
    }
}
