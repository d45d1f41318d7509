using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
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
        var offset = layout.OffsetOf(blobNum);
        var filled = 0;
        while (filled < plainLength)
        {
            var read = RandomAccess.Read(plainFile, destination.Slice(filled, plainLength - filled), offset + filled);
            if (read == 0)
            {
                return -1;
            }

            filled += read;
        }

        return TryEncryptPlaintext(destination[..plainLength], descriptor, key, blobNum, destination, verify);
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
