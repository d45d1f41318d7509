using SmartShare.IO;
using SmartShare.Lbry.BlobExchange;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Streams;

namespace SmartShare.Lbry.Downloads;

/// <summary>The download's connections: each takes a peer, asks it for blobs, and hands what arrives to the store and the writer.</summary>
public sealed partial class StreamDownload
{
    private async Task WorkerAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested && !_scheduler.IsComplete)
            {
                var changed = ChangeSignal();
                var peer = _scheduler.AcquirePeer(_time.GetUtcNow());
                if (peer is null)
                {
                    var now = _time.GetUtcNow();
                    var wait = _scheduler.NextBanExpiry(now) is { } until ? Min(until - now, IdlePoll) : IdlePoll;
                    await WaitForChangeAsync(changed, wait, cancellationToken);
                    continue;
                }

                int served;
                try
                {
                    served = await ServePeerAsync(peer, cancellationToken);
                }
                finally
                {
                    _scheduler.ReleasePeer(peer);
                    Pulse();
                }

                if (served == 0)
                {
                    // Another connection took the work this peer had; wait for news instead of reconnecting at once.
                    await WaitForChangeAsync(IdlePoll, cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // Anything but a peer's fault (a full disk, a broken descriptor) stops the whole download.
            _fatal ??= ex;
            Pulse();
        }
    }

    /// <summary>Asks one peer for blobs over one connection while it has any for it; returns how many requests it made.</summary>
    private async Task<int> ServePeerAsync(DownloadPeer peer, CancellationToken cancellationToken)
    {
        var requests = 0;
        IBlobPeerConnection connection;
        try
        {
            connection = await _connector.ConnectAsync(peer.EndPoint, cancellationToken);
        }
        catch (BlobExchangeException ex)
        {
            _scheduler.Failed(null, peer, ex.Failure, ex.Message, _time.GetUtcNow());
            return 1;
        }

        await using (connection)
        {
            while (true)
            {
                var changed = ChangeSignal();
                if (_scheduler.Pick(peer, _time.GetUtcNow(), out var heldBack) is not { } job)
                {
                    if (!heldBack)
                    {
                        break;
                    }

                    // The peer has blobs ahead of the writer's window: keep the connection and wait for the writer.
                    await WaitForChangeAsync(changed, IdlePoll, cancellationToken);
                    continue;
                }

                requests++;
                ReceivedBlob blob;
                try
                {
                    blob = await connection.DownloadAsync(job.Hash, job.ExpectedLength, cancellationToken);
                }
                catch (BlobExchangeException ex) when (ex.Failure == BlobExchangeFailure.NotAvailable)
                {
                    _scheduler.NotAvailable(job, peer);
                    continue;
                }
                catch (BlobExchangeException ex)
                {
                    _scheduler.Failed(job, peer, ex.Failure, ex.Message, _time.GetUtcNow());
                    Pulse();
                    return requests;
                }
                catch
                {
                    _scheduler.Failed(job, peer, BlobExchangeFailure.ConnectionClosed, "The request was abandoned.", _time.GetUtcNow());
                    throw;
                }

                Interlocked.Add(ref _bytesReceived, blob.Length);
                Accept(job, peer, blob);
            }
        }

        return requests;
    }

    /// <summary>
    /// Tests only: called with a step, a data blob's index and whether the copy at hand went to the writer's memory:
    /// "count" right before a received copy is counted, "counted" after, "write" before the writer takes the blob.
    /// </summary>
    internal Action<string, int, bool>? StepForTests { get; set; }

    /// <summary>Tests only: whether data blob <paramref name="index"/> is counted as received.</summary>
    internal bool HasBlobForTests(int index) => _scheduler.IsHave(index);

    private void Accept(BlobJob job, DownloadPeer peer, ReceivedBlob blob)
    {
        try
        {
            if (job.IsDescriptor)
            {
                var descriptor = ParseDescriptor(blob.Content.Span);
                Store(blob);
                _scheduler.Completed(job, peer);
                UseDescriptor(descriptor);
            }
            else
            {
                NoteLastPlaintext(job.Index, blob);
                var storeFirst = Volatile.Read(ref _storeBlobs);
                if (storeFirst)
                {
                    Store(blob);
                }

                var taken = false;
                var mine = _options.WriteFile ? Buffer(job, blob, out taken) : null;
                if (!storeFirst && !taken)
                {
                    // Not for the writer's memory (ahead of its window, or the window full): the store keeps it meanwhile.
                    Store(blob);
                }

                Volatile.Write(ref _storedThisRun[job.Index], true);
                StepForTests?.Invoke("count", job.Index, mine is not null);
                if (!_scheduler.Completed(job, peer) && mine is not null && job.Index < Volatile.Read(ref _writerNext) &&
                    _buffered.TryRemove(new KeyValuePair<int, DecryptedBlob>(job.Index, mine)))
                {
                    // Another peer's copy counted first and the writer went past the blob without this copy: drop it.
                    // Before the writer passes, this copy is the writer's: the other one, finding it buffered, kept
                    // nothing (a blob once lost that way failed the download with "not in the local store").
                    Release(mine);
                }

                StepForTests?.Invoke("counted", job.Index, mine is not null);
            }

            Interlocked.Exchange(ref _lastBlobAt, _time.GetTimestamp());
            Pulse();
        }
        finally
        {
            // Stored, or decrypted into the writer's memory, or not needed: the received bytes are done with.
            blob.Dispose();
        }
    }

    // The stream's last blob tells its length (a player's first question): known from its last cipher block at once,
    // and told before the blob's store flushes it. A blob that does not decrypt is left to the reader, which says so.
    private void NoteLastPlaintext(int index, ReceivedBlob blob)
    {
        var descriptor = Descriptor!;
        if (index != descriptor.DataBlobCount - 1 || Volatile.Read(ref _lastPlaintext) >= 0)
        {
            return;
        }

        try
        {
            Volatile.Write(ref _lastPlaintext, StreamDecryptor.PlaintextLength(_key!, descriptor.Blobs[index], blob.Content.Span));
            Pulse();
        }
        catch (LbryDataException)
        {
            // Bad padding or length (CorruptBlobException is one too): the reader meets it again and says so.
        }
    }

    /// <summary>
    /// Decrypts a received blob on this worker's thread (so all cores decrypt) into memory placed where its plaintext
    /// goes in the file (<see cref="DirectWriteBuffer"/>: the writer's whole blocks go to disk straight from it) and
    /// hands it to the in-order writer, if it is within the writer's window. The blob must be marked held only
    /// afterwards: the writer, seeing it held, looks here first.
    /// </summary>
    private DecryptedBlob? Buffer(BlobJob job, ReceivedBlob blob, out bool taken)
    {
        var next = Volatile.Read(ref _writerNext);
        taken = job.Index < next || _buffered.ContainsKey(job.Index);
        if (taken || job.Index >= next + _options.MaxBufferedBlobs || _buffered.Count >= _options.MaxBufferedBlobs)
        {
            // Written already, or a copy from another peer is waiting: this one is not needed. Otherwise left as received.
            return null;
        }

        taken = true;
        var info = Descriptor!.Blobs[job.Index];
        // Where every blob before it is full, as lbry-sdk makes them (elsewhere the writer copies into aligned memory).
        var plain = DirectWriteBuffer.Rent(BlobStore.MaxBlobSize, PartialFileCheck.OffsetOf(job.Index));
        try
        {
            plain.Length = StreamDecryptor.DecryptBlob(_key!, info, blob.Content.Span, plain.Space);
        }
        catch
        {
            plain.Dispose();
            throw;
        }

        var decrypted = new DecryptedBlob(plain);
        if (_buffered.TryAdd(job.Index, decrypted))
        {
            return decrypted;
        }

        plain.Dispose();
        return null;
    }
}
