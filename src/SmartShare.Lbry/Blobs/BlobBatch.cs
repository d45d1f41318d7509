using System.Collections.Concurrent;
using SmartShare.IO;
using SmartShare.Lbry.BlobExchange;
using SmartShare.Storage;

namespace SmartShare.Lbry.Blobs;

/// <summary>
/// Many blobs made durable together. <see cref="Add"/> (safe from many threads) writes each blob to a
/// temporary file and starts its writeback without waiting; <see cref="Commit"/> then flushes them all in
/// parallel, renames each to its hash, flushes the folder once and indexes them in one transaction. So a
/// blob gets its final name only once its bytes are on disk, and workers never stall in fsync. Disposing
/// an uncommitted batch deletes its temporary files: nothing of a failed operation stays behind.
/// </summary>
public sealed class BlobBatch : IDisposable
{
    private readonly BlobStore _store;
    private readonly ConcurrentDictionary<BlobHash, Staged> _staged = new();
    private bool _committed;

    internal BlobBatch(BlobStore store)
    {
        _store = store;
    }

    /// <summary>Stages content under its own hash. Returns the hash and whether the blob is new to the store.</summary>
    public (BlobHash Hash, bool Added) Add(ReadOnlySpan<byte> content)
    {
        var hash = BlobHash.Compute(content);
        return (hash, Stage(hash, content));
    }

    /// <summary>Stages content that must hash to <paramref name="expected"/>; anything else is refused.</summary>
    public bool AddVerified(BlobHash expected, ReadOnlySpan<byte> content)
    {
        var actual = BlobHash.Compute(content);
        if (actual != expected)
        {
            throw new CorruptBlobException(
                expected, $"Refused blob {expected}: its {content.Length} bytes hash to {actual} instead.");
        }

        return Stage(expected, content);
    }

    /// <summary>
    /// Stages a blob whose length and hash the blob-exchange client checked while receiving it, so the bytes
    /// are not hashed a second time. Returns whether the blob is new to the store.
    /// </summary>
    public bool AddReceived(ReceivedBlob blob)
    {
        ArgumentNullException.ThrowIfNull(blob);
        return Stage(blob.Hash, blob.Content.Span);
    }

    /// <summary>Makes every staged blob durable under its final name and indexes it.</summary>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        var staged = _staged.Values.ToList();
        var folder = _store.Directory;
        try
        {
            // Flushes wait on the disk, not the CPU: more of them at once than there are cores.
            Parallel.ForEach(staged, new ParallelOptions { MaxDegreeOfParallelism = 8 }, blob =>
            {
                using var handle = File.OpenHandle(_store.TempPath(blob.HashHex, blob.TempId), FileMode.Open, FileAccess.Write);
                RandomAccess.FlushToDisk(handle);
            });

            foreach (var blob in staged)
            {
                var final = Path.Combine(folder, blob.HashHex);
                File.Move(_store.TempPath(blob.HashHex, blob.TempId), final, overwrite: true);

                // Stamped after the rename, which moves the change time: with it the blob server trusts the file from
                // its first serve while nothing changes it (the stamp of bytes this node wrote and hashed itself).
                var stamp = FileStamp.Strict(final);
                blob.Stamp = stamp.IsKnown ? stamp : new FileStamp(blob.Length, File.GetLastWriteTimeUtc(final).Ticks);
            }

            if (staged.Count > 0)
            {
                FileDurability.FlushDirectory(folder);
            }
        }
        catch (AggregateException ex) when (ex.InnerExceptions.Count > 0 && ex.InnerException is IOException or UnauthorizedAccessException)
        {
            throw DiskErrors.Explain(ex.InnerException!, folder);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw DiskErrors.Explain(ex, folder);
        }

        _committed = true;
        _store.Index(staged.Select(blob => (blob.HashHex, blob.Stamp)));
    }

    public void Dispose()
    {
        if (_committed)
        {
            return;
        }

        _committed = true;
        foreach (var blob in _staged.Values)
        {
            BlobStore.TryDelete(_store.TempPath(blob.HashHex, blob.TempId));
        }
    }

    private bool Stage(BlobHash hash, ReadOnlySpan<byte> content)
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        if (content.Length > BlobStore.MaxBlobSize)
        {
            throw new CorruptBlobException(hash, $"Refused blob {hash}: {content.Length} bytes is over the {BlobStore.MaxBlobSize}-byte blob limit.");
        }

        if (_store.TryGetLength(hash) == content.Length || _staged.ContainsKey(hash))
        {
            return false;
        }

        var hashHex = hash.ToString();
        var tempId = Guid.NewGuid();
        var temp = _store.TempPath(hashHex, tempId);
        try
        {
            using var handle = File.OpenHandle(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None);
            RandomAccess.Write(handle, content, 0);
            FileDurability.StartWriteback(handle);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            BlobStore.TryDelete(temp);
            throw DiskErrors.Explain(ex, _store.Directory);
        }

        if (!_staged.TryAdd(hash, new Staged(hashHex, tempId, content.Length)))
        {
            BlobStore.TryDelete(temp);
            return false;
        }

        return true;
    }

    /// <summary>
    /// A blob written under its temporary name. A batch can hold ten thousand of these, so it keeps what
    /// names them, not the paths, which are rebuilt when used.
    /// </summary>
    private sealed class Staged(string hashHex, Guid tempId, long length)
    {
        public string HashHex { get; } = hashHex;

        public Guid TempId { get; } = tempId;

        public long Length { get; } = length;

        public FileStamp Stamp { get; set; } = FileStamp.Unknown;
    }
}
