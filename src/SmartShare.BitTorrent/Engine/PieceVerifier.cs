using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Threading.Channels;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.Storage;

namespace SmartShare.BitTorrent.Engine;

/// <summary>
/// Checks assembled pieces off the connections' read loops: each worker hashes a piece (SHA-1) and, if it matches,
/// writes it to the files, then reports it verified or failed. Owns the queue of pieces waiting to be checked and
/// counts the bytes in it: past <paramref name="maxUnwrittenBytes"/> (at least two pieces) it is
/// <see cref="IsBehind"/>, and new requests wait; <paramref name="caughtUp"/> is called when it falls back under that.
/// Holds no lock (the callbacks take the session's).
/// </summary>
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "The write gate's wait handle is never asked for, so there is nothing to dispose.")]
internal sealed class PieceVerifier(
    TorrentInfo info,
    TorrentStorage storage,
    Action<PartialPiece> verified,
    Action<PartialPiece> failedHash,
    Action<int, TorrentStorageException> storageFailed,
    long maxUnwrittenBytes = long.MaxValue,
    Action? caughtUp = null)
{
    private readonly Channel<PartialPiece> _queue = Channel.CreateUnbounded<PartialPiece>();
    private readonly long _limit = Math.Max(maxUnwrittenBytes, 2L * info.PieceLength);
    private long _queued;
    private long _peak;

    // One write at a time: the workers hash in parallel, but two buffered writes into one file contend for its inode
    // lock in the kernel, where the second spins on the first's CPU time instead of waiting (about 5 % of a 512 MiB
    // download's CPU when the page cache fills slowly). Waiting here gives the core back to the read loops.
    private readonly SemaphoreSlim _write = new(1, 1);

    /// <summary>True while the pieces waiting to be checked and written hold the limit or more.</summary>
    public bool IsBehind => Volatile.Read(ref _queued) >= _limit;

    /// <summary>Bytes of the pieces waiting to be checked and written (or being so).</summary>
    public long QueuedBytes => Volatile.Read(ref _queued);

    /// <summary>The most bytes ever waiting at once (tests' witness of the bound).</summary>
    internal long PeakQueuedBytes => Volatile.Read(ref _peak);

    /// <summary>Queues a piece whose every block has arrived.</summary>
    public void Enqueue(PartialPiece partial)
    {
        ArgumentNullException.ThrowIfNull(partial);
        var queued = Interlocked.Add(ref _queued, partial.Size);
        for (var peak = Volatile.Read(ref _peak); queued > peak; peak = Volatile.Read(ref _peak))
        {
            if (Interlocked.CompareExchange(ref _peak, queued, peak) == peak)
            {
                break;
            }
        }

        if (!_queue.Writer.TryWrite(partial))
        {
            // Completed: the session is stopping and nobody will write it.
            Interlocked.Add(ref _queued, -partial.Size);
        }
    }

    /// <summary>Takes no more pieces; the workers end once the queue drains or they are cancelled.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    /// <summary>One worker; the session runs a few. A storage error ends the worker after reporting it.</summary>
    [SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms", Justification = "BitTorrent v1 pieces are named by SHA-1.")]
    public async Task RunAsync(CancellationToken token)
    {
        var hash = new byte[20];
        await foreach (var partial in _queue.Reader.ReadAllAsync(token).ConfigureAwait(false))
        {
            var index = partial.Index;
            var size = partial.Size;
            var ok = false;
            try
            {
                SHA1.HashData(partial.Buffer.Span, hash);
                if (hash.AsSpan().SequenceEqual(info.GetPieceHash(index)))
                {
                    await _write.WaitAsync(token).ConfigureAwait(false);
                    try
                    {
                        await storage.WritePieceAsync(index, partial.Buffer, token).ConfigureAwait(false);
                    }
                    finally
                    {
                        _write.Release();
                    }

                    ok = true;
                }
            }
            catch (TorrentStorageException e)
            {
                partial.ReleaseBuffer();
                Settle(size);
                storageFailed(index, e);
                return;
            }
            catch (OperationCanceledException)
            {
                partial.ReleaseBuffer();
                Settle(size);
                return;
            }

            if (ok)
            {
                verified(partial);
            }
            else
            {
                failedHash(partial);
            }

            Settle(size);
        }
    }

    // A piece left the queue (written, failed or dropped): when that takes the queue back under the limit, requests
    // may go on.
    private void Settle(int size)
    {
        var after = Interlocked.Add(ref _queued, -size);
        if (after < _limit && after + size >= _limit)
        {
            caughtUp?.Invoke();
        }
    }
}
