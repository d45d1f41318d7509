using System.Buffers;
using SmartShare.Crypto;
using SmartShare.IO;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Streams;

namespace SmartShare.Node.BlobStorage;

/// <summary>
/// Serving a held stream's blobs (<see cref="IBlobSource.ReadAsync"/>): each rebuilt from the plain file, read ahead
/// with the next few while peers read in order, checked where the file's stamp does not vouch for it, and cached.
/// </summary>
internal sealed partial class PlainFileStreams
{
    public async ValueTask<IMemoryOwner<byte>?> ReadAsync(BlobHash hash, CancellationToken cancellationToken)
    {
        if (!_blobs.TryGetValue(hash, out var entry))
        {
            return _cache.TryGet(hash);
        }

        // The blob asked for before this one in the stream: peers that read it in order are worth reading ahead for.
        var previous = Interlocked.Exchange(ref entry.Stream.LastAsked, entry.BlobNum);
        while (true)
        {
            if (_cache.TryGet(hash) is { } cached)
            {
                return cached;
            }

            // Being rebuilt in another serve's batch (read ahead, or asked for by another peer): wait for it rather
            // than encrypt it a second time. A batch that failed to build it leaves it to this request.
            if (_rebuilding.TryGetValue(hash, out var pending))
            {
                await pending.WaitAsync(cancellationToken);
                continue;
            }

            // Each rebuild holds blob-sized buffers: a few at a time, however many peers ask at once.
            await _rebuilds.WaitAsync(cancellationToken);
            try
            {
                // Claimed before it is rebuilt, so no batch started meanwhile (or later) encrypts it too; one that
                // claimed it first is waited for on the next turn.
                var claim = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                if (!_rebuilding.TryAdd(hash, claim.Task))
                {
                    continue;
                }

                try
                {
                    return _cache.TryGet(hash) ?? Rebuild(hash, entry.Stream, entry.BlobNum, previous, claim.Task);
                }
                finally
                {
                    _rebuilding.TryRemove(new KeyValuePair<BlobHash, Task>(hash, claim.Task));
                    claim.SetResult();
                }
            }
            finally
            {
                _rebuilds.Release();
            }
        }
    }

    // Rebuilds the blob asked for, and, while peers read the stream in order (the blob asked for before this one was
    // one or two before it), the next few blobs the cache lacks with it: CBC encryption is serial within a blob, and
    // four blobs interleaved (AesCbcLanes) cost about what one does. A downloader spreading a stream over several
    // seeders asks each for blobs further apart, so no seeder reads ahead for blobs it will not be asked for. Only
    // while the file keeps a strict stamp: blobs read ahead then need no SHA-384, which would delay the one asked for.
    private IMemoryOwner<byte>? Rebuild(BlobHash hash, HeldStream held, int blobNum, int previous, Task claim)
    {
        var batch = new List<(int BlobNum, BlobHash Hash)>(AesCbcLanes.MaxLanes) { (blobNum, hash) };
        try
        {
            if (held.Stamp.IsStrict && blobNum > previous && blobNum - previous <= 2)
            {
                for (var next = blobNum + 1; next < held.Layout.BlobCount && batch.Count < AesCbcLanes.MaxLanes; next++)
                {
                    // Claimed, then looked for in the cache: a batch that cached it and let go of it just before the
                    // claim is seen, one that holds it still keeps the claim from this batch.
                    if (held.Descriptor.Blobs[next].BlobHash is not { } ahead || !_rebuilding.TryAdd(ahead, claim))
                    {
                        continue;
                    }

                    if (_cache.Contains(ahead))
                    {
                        _rebuilding.TryRemove(new KeyValuePair<BlobHash, Task>(ahead, claim));
                    }
                    else
                    {
                        batch.Add((next, ahead));
                    }
                }
            }

            Interlocked.Add(ref _rebuiltBlobs, batch.Count);
            Interlocked.Add(ref _readAheadBlobs, batch.Count - 1);
            return RebuildBatch(hash, held, [.. batch.Select(entry => entry.BlobNum)]);
        }
        finally
        {
            // Whatever happened, no request waits on the read-ahead blobs any longer (the caller lets go of the first
            // and ends the claim).
            foreach (var (_, entry) in batch.Skip(1))
            {
                _rebuilding.TryRemove(new KeyValuePair<BlobHash, Task>(entry, claim));
            }
        }
    }

    // The blobs of `batch` (the one asked for first) rebuilt together and cached; a lease on the first, or null (then
    // logged and the stream marked broken) when it cannot be rebuilt. A read-ahead blob that fails is just not cached.
    private IMemoryOwner<byte>? RebuildBatch(BlobHash hash, HeldStream held, List<int> batch)
    {
        // Pooled arrays: a new 2 MiB one per blob served cost the seeder a tenth of its CPU in the allocator and in
        // page faults on fresh memory. Each goes back to the pool once the cache and every sender let go of it.
        var count = batch.Count;
        var rented = new byte[count][];
        var destinations = new Memory<byte>[count];
        var verify = new bool[count];
        var built = new int[count];
        IMemoryOwner<byte>? lease = null;
        string reason;
        try
        {
            using var handle = LocalFile.OpenRead(held.Path);
            for (var i = 0; i < count; i++)
            {
                var length = held.Descriptor.Blobs[batch[i]].Length;
                rented[i] = BlobBuffers.Pool.Rent(length);
                destinations[i] = rented[i].AsMemory(0, length);

                // A blob of a file that keeps a strict stamp, or one matched once in this run from the file as it still
                // is, needs no SHA-384; the stamp is read again after the read, so a write meanwhile (which moves it)
                // sends the blob through the hash after all.
                verify[i] = !held.IsTrusted(batch[i], handle);
                if (verify[i])
                {
                    Interlocked.Increment(ref _servedBlobHashes);
                }
            }

            if (RandomAccess.GetLength(handle) == held.Layout.FileLength)
            {
                BlobReencryptor.TryEncryptMany(handle, held.Descriptor, held.Layout, held.Key, batch.ToArray(), destinations, verify, built);
            }
            else
            {
                Array.Fill(built, -1);
            }

            var unchangedAfter = held.Unchanged(handle);
            for (var i = 0; i < count; i++)
            {
                var blob = held.Descriptor.Blobs[batch[i]];
                var ok = built[i] == blob.Length &&
                    (verify[i] || unchangedAfter || BlobHash.Compute(destinations[i].Span) == blob.BlobHash!.Value);
                if (!ok)
                {
                    continue;
                }

                if (verify[i] && unchangedAfter)
                {
                    // Matched from the file as verified: trusted from now on, until its stamp moves.
                    held.MarkVerified(batch[i]);
                }

                var owner = RebuiltBlob.Create(rented[i], blob.Length, out var rebuilt);
                rented[i] = null!;
                _cache.Add(blob.BlobHash!.Value, rebuilt);
                if (i == 0)
                {
                    lease = owner;
                }
                else
                {
                    owner.Dispose();
                }
            }

            reason = $"blob {batch[0]} rebuilt from {held.Path} no longer matches its hash: the file changed";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            reason = $"{held.Path} cannot be read ({ex.Message})";
        }
        finally
        {
            foreach (var array in rented)
            {
                if (array is not null)
                {
                    BlobBuffers.Pool.Return(array);
                }
            }
        }

        if (lease is null)
        {
            LogServedNotAvailable(logger, hash, held.SdHash, reason);
            MarkBroken(held.SdHash, held.Path, reason);
        }

        return lease;
    }
}
