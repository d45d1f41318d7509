using System.Security.Cryptography;
using SmartShare.Lbry.Blobs;
using SmartShare.Storage;
using SmartShare.Threading;

namespace SmartShare.Lbry.Streams;

/// <summary>
/// Rebuilds a stream's file from blobs in the local store. Every blob is checked against its hash and its
/// descriptor length before its plaintext is written; the file is written under a hidden temporary name
/// and renamed to a free, sanitized name only when complete, so no partial file ever carries the real name
/// and no existing file is ever overwritten.
/// </summary>
public sealed class StreamDecryptor
{
    private readonly LbryStorage _storage;
    private readonly int _parallelism;

    public StreamDecryptor(LbryStorage storage, int? parallelism = null)
    {
        _storage = storage ?? throw new ArgumentNullException(nameof(storage));
        _parallelism = Math.Max(1, parallelism ?? Environment.ProcessorCount);
    }

    /// <summary>Reads and checks the descriptor of a stream whose sd blob is in the store.</summary>
    public StreamDescriptor ReadDescriptor(BlobHash sdHash)
    {
        byte[] sdBlob;
        try
        {
            sdBlob = _storage.Blobs.ReadAllVerified(sdHash);
        }
        catch (BlobNotFoundException)
        {
            throw new BlobNotFoundException(sdHash, $"The stream {sdHash} is not in the local store: its descriptor blob is missing.");
        }

        return StreamDescriptorCodec.Parse(sdBlob, sdHash.ToString());
    }

    /// <summary>Decrypts the stream into <paramref name="downloadDirectory"/> and returns the path written.</summary>
    public async Task<string> SaveAsync(StreamDescriptor descriptor, string downloadDirectory, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        ArgumentNullException.ThrowIfNull(downloadDirectory);
        EnsureBlobsPresent(descriptor);

        using var output = StreamOutputFile.Create(downloadDirectory, descriptor.SuggestedFileName);
        await DecryptIntoAsync(descriptor, output, progress, cancellationToken);
        return output.Complete();
    }

    /// <summary>
    /// Decrypts one blob in place: checks its length, then AES-CBC with PKCS#7. Returns the plaintext length.
    /// </summary>
    public static int DecryptBlob(ReadOnlySpan<byte> key, StreamBlobInfo blob, Span<byte> buffer, int length)
    {
        CheckLength(blob, length);
        return DecryptBlob(key, blob, buffer[..length], buffer);
    }

    /// <summary>
    /// Decrypts one blob from <paramref name="content"/> into <paramref name="destination"/> (at least as long as the
    /// blob): checks its length, then AES-CBC with PKCS#7. Returns the plaintext length.
    /// </summary>
    public static int DecryptBlob(ReadOnlySpan<byte> key, StreamBlobInfo blob, ReadOnlySpan<byte> content, Span<byte> destination)
    {
        var hash = CheckLength(blob, content.Length);
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, content.Length);
        Span<byte> iv = stackalloc byte[StreamEncryptor.IvSize];
        Convert.FromHexString(blob.Iv, iv, out _, out _);
        try
        {
            using var aes = Aes.Create();
            aes.Key = key.ToArray();
            return aes.DecryptCbc(content, iv, destination, PaddingMode.PKCS7);
        }
        catch (CryptographicException ex)
        {
            throw new LbryDataException($"Blob {hash} does not decrypt with the stream's key (bad padding): the descriptor and the blob do not belong together.", ex);
        }
    }

    // The blob's hash, once its length is the one the descriptor gives.
    private static BlobHash CheckLength(StreamBlobInfo blob, int length)
    {
        ArgumentNullException.ThrowIfNull(blob);
        var hash = blob.BlobHash ?? throw new ArgumentException("The terminator has no content.", nameof(blob));
        return length == blob.Length
            ? hash
            : throw new CorruptBlobException(hash, $"Blob {hash} is {length} bytes but the stream descriptor says {blob.Length}.");
    }

    /// <summary>
    /// The plaintext length of a blob from its last cipher block alone (AES-CBC: that block decrypted, XORed with the
    /// block before it or the IV, holds the PKCS#7 padding): what a player needs to know of the stream's last blob, the
    /// length, without decrypting its two megabytes. The caller has checked the blob's hash.
    /// </summary>
    public static int PlaintextLength(ReadOnlySpan<byte> key, StreamBlobInfo blob, ReadOnlySpan<byte> content)
    {
        ArgumentNullException.ThrowIfNull(blob);
        var hash = blob.BlobHash ?? throw new ArgumentException("The terminator has no content.", nameof(blob));
        const int Block = StreamEncryptor.IvSize;
        if (content.Length != blob.Length || content.Length < Block || content.Length % Block != 0)
        {
            throw new CorruptBlobException(hash, $"Blob {hash} is {content.Length} bytes; the stream descriptor says {blob.Length}, a whole number of 16-byte blocks.");
        }

        Span<byte> previous = stackalloc byte[Block];
        if (content.Length > Block)
        {
            content[^(2 * Block)..^Block].CopyTo(previous);
        }
        else
        {
            Convert.FromHexString(blob.Iv, previous, out _, out _);
        }

        Span<byte> plain = stackalloc byte[Block];
        try
        {
            using var aes = Aes.Create();
            aes.Key = key.ToArray();
            return content.Length - Block + aes.DecryptCbc(content[^Block..], previous, plain, PaddingMode.PKCS7);
        }
        catch (CryptographicException ex)
        {
            throw new LbryDataException($"Blob {hash} does not decrypt with the stream's key (bad padding): the descriptor and the blob do not belong together.", ex);
        }
    }

    private void EnsureBlobsPresent(StreamDescriptor descriptor)
    {
        var missing = descriptor.DataBlobs.Where(blob => _storage.Blobs.TryGetLength(blob.BlobHash!.Value) is null).ToList();
        if (missing.Count > 0)
        {
            var first = missing[0];
            throw new BlobNotFoundException(
                first.BlobHash!.Value,
                $"{missing.Count} of the {descriptor.DataBlobCount} blobs of this stream are not in the local store " +
                $"(the first is blob {first.BlobNum}, {first.BlobHash}); nothing was written.");
        }
    }

    private async Task DecryptIntoAsync(StreamDescriptor descriptor, StreamOutputFile output, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var key = Convert.FromHexString(descriptor.Key);
        using var buffers = new BlobBufferPool();
        await OrderedPipeline.RunAsync(
            descriptor.DataBlobCount,
            window: _parallelism * 2,
            start: index => new Plain(
                descriptor.Blobs[(int)index],
                buffers.Rent()),
            process: (plain, _) =>
            {
                var hash = plain.Blob.BlobHash!.Value;
                var length = _storage.Blobs.Read(hash, plain.Buffer, verify: true);
                plain.Length = DecryptBlob(key, plain.Blob, plain.Buffer, length);
                return ValueTask.CompletedTask;
            },
            complete: (plain, _) =>
            {
                output.Append(plain.Buffer.AsSpan(0, plain.Length));
                progress?.Report(output.Length);
                return ValueTask.CompletedTask;
            },
            release: plain => buffers.Return(plain.Buffer),
            cancellationToken);
    }

    private sealed class Plain(StreamBlobInfo blob, byte[] buffer)
    {
        public StreamBlobInfo Blob { get; } = blob;

        public byte[] Buffer { get; } = buffer;

        public int Length { get; set; }
    }
}
