using SmartShare.Lbry;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Downloads;
using SmartShare.Lbry.Streams;

namespace SmartShare.Node.Streaming;

/// <summary>Decrypts blobs of one stream from the store, waiting (with priority) on the download for missing ones.</summary>
internal sealed class BlobPlaintextReader(LbryStorage storage, StreamDescriptor descriptor, StreamDownload? download) : IAsyncDisposable
{
    private readonly byte[] _key = Convert.FromHexString(descriptor.Key);
    private byte[]? _buffer = BlobBuffers.Pool.Rent(BlobStore.MaxBlobSize);

    public void Prefetch(int first, int last)
    {
        if (download?.Descriptor is not null && first <= last)
        {
            download.Prioritize(first, last);
        }
    }

    /// <summary>The plaintext length of the stream's last blob (so the stream's length): from the running download as soon as it has the blob, else read.</summary>
    public async Task<int> LastPlaintextLengthAsync(CancellationToken cancellationToken)
    {
        var last = descriptor.DataBlobCount - 1;
        if (download is not null && storage.Blobs.TryGetLength(descriptor.Blobs[last].BlobHash!.Value) is null
            && await download.WaitForLastPlaintextLengthAsync(cancellationToken) is { } known)
        {
            return known;
        }

        return (await ReadAsync(last, cancellationToken)).Length;
    }

    /// <summary>The plaintext of blob <paramref name="index"/>, valid until the next call.</summary>
    public async Task<ReadOnlyMemory<byte>> ReadAsync(int index, CancellationToken cancellationToken)
    {
        var buffer = _buffer ?? throw new ObjectDisposedException(nameof(BlobPlaintextReader));
        var info = descriptor.Blobs[index];
        var blobHash = info.BlobHash!.Value;
        if (storage.Blobs.TryGetLength(blobHash) is null)
        {
            if (download is null)
            {
                throw new StreamDownloadException($"Blob {index} ({blobHash}) of {descriptor.StreamName} is not in the store and no download is running.");
            }

            await download.WaitForBlobsAsync(index, index, cancellationToken);
            if (download.WritesWithoutBlobs && storage.Blobs.TryGetLength(blobHash) is null)
            {
                // Taken by the download's writer from memory straight into its file: read there once written.
                return Checked(index, await download.ReadWrittenAsync(index, buffer, cancellationToken), buffer);
            }
        }

        // A blob the running download checked and stored moments ago is not hashed again: the first bytes a
        // player waits for are the first blob and the last (for the length), each just fetched.
        var length = storage.Blobs.Read(blobHash, buffer, verify: download?.VerifiedThisRun(index) != true);
        return Checked(index, StreamDecryptor.DecryptBlob(_key, info, buffer, length), buffer);
    }

    private ReadOnlyMemory<byte> Checked(int index, int plain, byte[] buffer)
    {
        if (index < descriptor.DataBlobCount - 1 && plain != StreamLayout.PlaintextPerFullBlob)
        {
            throw new LbryDataException($"Blob {index} of {descriptor.StreamName} holds {plain} plaintext bytes, not {StreamLayout.PlaintextPerFullBlob}; the stream can be played only once complete.");
        }

        return buffer.AsMemory(0, plain);
    }

    public ValueTask DisposeAsync()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            BlobBuffers.Pool.Return(buffer);
        }

        return ValueTask.CompletedTask;
    }
}
