using System.Buffers;
using System.Collections.Concurrent;
using SmartShare.Lbry.Blobs;

namespace SmartShare.Lbry.BlobExchange;

/// <summary>
/// Keeps the blob server from sending bytes that were changed on disk behind the node's back. The first time a blob
/// is served in a run it is read whole and its SHA-384 checked (then sent from that checked copy); afterwards its file
/// is trusted, and sent with sendfile, as long as its length and modification time are those seen at the check (an
/// edit or a truncation changes them). A blob failing its check is deleted from the store and answered as missing, so
/// it is fetched again or rebuilt where the node can.
/// </summary>
internal sealed class ServedBlobChecks(BlobStore store, Action<string> report)
{
    private readonly ConcurrentDictionary<BlobHash, (long Length, DateTime Modified)> _checked = new();
    private long _damaged;

    /// <summary>Damaged blobs found on serve, and dropped.</summary>
    public long DamagedBlobs => Interlocked.Read(ref _damaged);

    /// <summary>Whether the blob's file is the one checked earlier (same length and modification time).</summary>
    public bool IsTrusted(BlobHash hash, long length)
    {
        if (!_checked.TryGetValue(hash, out var seen) || seen.Length != length)
        {
            return false;
        }

        var file = new FileInfo(store.PathOf(hash));
        return file.Exists && file.Length == seen.Length && file.LastWriteTimeUtc == seen.Modified;
    }

    /// <summary>
    /// The blob read whole and checked against its hash, or null when it is gone or damaged (a damaged one is deleted
    /// from the store). The caller disposes the owner.
    /// </summary>
    public async ValueTask<IMemoryOwner<byte>?> ReadCheckedAsync(BlobHash hash, CancellationToken cancellationToken)
    {
        var path = store.PathOf(hash);
        var before = new FileInfo(path);
        if (!before.Exists)
        {
            return null;
        }

        var owner = new PooledBlob();
        try
        {
            int length;
            try
            {
                using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.SequentialScan);
                length = await ReadWholeAsync(handle, owner.Buffer, cancellationToken);
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                owner.Dispose();
                return null;
            }

            owner.Length = length;
            if (length < 0 || BlobHash.Compute(owner.Buffer.AsSpan(0, length)) != hash)
            {
                owner.Dispose();
                Drop(hash, length < 0 ? "is larger than a blob may be" : "no longer matches its hash");
                return null;
            }

            _checked[hash] = (before.Length, before.LastWriteTimeUtc);
            return owner;
        }
        catch
        {
            owner.Dispose();
            throw;
        }
    }

    private void Drop(BlobHash hash, string why)
    {
        Interlocked.Increment(ref _damaged);
        _checked.TryRemove(hash, out _);
        try
        {
            store.Delete(hash);
            report($"Blob {hash} in {store.Directory} {why} (changed on disk); deleted it and answered it as missing, so it is fetched again or rebuilt.");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            report($"Blob {hash} in {store.Directory} {why} (changed on disk) and could not be deleted ({ex.Message}); it is answered as missing.");
        }
    }

    // The whole file, or -1 when it holds more than a blob may.
    private static async ValueTask<int> ReadWholeAsync(Microsoft.Win32.SafeHandles.SafeFileHandle handle, byte[] buffer, CancellationToken cancellationToken)
    {
        var total = 0;
        while (true)
        {
            if (total == buffer.Length)
            {
                var probe = new byte[1];
                return await RandomAccess.ReadAsync(handle, probe, total, cancellationToken) == 0 ? total : -1;
            }

            var read = await RandomAccess.ReadAsync(handle, buffer.AsMemory(total), total, cancellationToken);
            if (read == 0)
            {
                return total;
            }

            total += read;
        }
    }

    private sealed class PooledBlob : IMemoryOwner<byte>
    {
        private byte[]? _buffer = BlobBuffers.Pool.Rent(BlobStore.MaxBlobSize);

        public byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(PooledBlob));

        public int Length { get; set; }

        public Memory<byte> Memory => Buffer.AsMemory(0, Length);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
            {
                BlobBuffers.Pool.Return(buffer);
            }
        }
    }
}
