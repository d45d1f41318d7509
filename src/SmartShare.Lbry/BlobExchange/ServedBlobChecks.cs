using System.Buffers;
using System.Collections.Concurrent;
using SmartShare.IO;
using SmartShare.Lbry.Blobs;

namespace SmartShare.Lbry.BlobExchange;

/// <summary>
/// Keeps the blob server from sending bytes that were changed on disk behind the node's back. A blob file is trusted,
/// and sent with sendfile, while it keeps the stamp it had when it was known good: the strict stamp (length,
/// modification and inode change time) the blob index recorded when the node wrote it or hashed it at a start, or the
/// stamp seen when this run checked it. Otherwise (an index row from before change times were kept, a file whose
/// stamp moved, no change time on this system) the first serve in a run reads it whole and checks its SHA-384, then
/// sends that checked copy. A program can put a file's modification time back after an edit, but not its change time,
/// so only a strict stamp is trusted across runs. A blob failing its check is deleted from the store and answered as
/// missing, so it is fetched again or rebuilt where the node can.
/// </summary>
internal sealed class ServedBlobChecks(BlobStore store, TimeProvider time, Action<string> report)
{
    private readonly ConcurrentDictionary<BlobHash, FileStamp> _checked = new();
    private long _damaged;
    private long _hashed;

    /// <summary>Damaged blobs found on serve, and dropped.</summary>
    public long DamagedBlobs => Interlocked.Read(ref _damaged);

    /// <summary>Blobs read whole and hashed before a serve (their stamps vouched for nothing).</summary>
    public long HashedBlobs => Interlocked.Read(ref _hashed);

    /// <summary>Whether the blob's file still has the stamp it had when known good (this run's check, or the index's strict stamp).</summary>
    public bool IsTrusted(BlobHash hash, long length)
    {
        if (!_checked.TryGetValue(hash, out var seen))
        {
            seen = store.RecordedStamp(hash);
            if (!seen.IsStrict)
            {
                return false;
            }
        }

        if (seen.Length != length || !seen.Vouches(FileStamp.Strict(store.PathOf(hash))))
        {
            return false;
        }

        _checked[hash] = seen;
        return true;
    }

    /// <summary>
    /// The blob read whole and checked against its hash, or null when it is gone or damaged (a damaged one is deleted
    /// from the store). The caller disposes the owner.
    /// </summary>
    public async ValueTask<IMemoryOwner<byte>?> ReadCheckedAsync(BlobHash hash, CancellationToken cancellationToken)
    {
        var path = store.PathOf(hash);
        var readFrom = time.GetUtcNow();
        var before = FileStamp.Strict(path);
        if (!before.IsKnown)
        {
            return null;
        }

        Interlocked.Increment(ref _hashed);
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

            // The stamp from before the read vouches for what was read; settled, so a write just after the read began
            // (which could leave the times as they were) is not trusted across runs.
            var stamp = before.SettledBefore(readFrom);
            _checked[hash] = stamp;
            store.Restamp(hash, stamp);
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
