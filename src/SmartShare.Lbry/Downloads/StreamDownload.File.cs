using SmartShare.IO;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Streams;

namespace SmartShare.Lbry.Downloads;

/// <summary>The download's file: the in-order writer, the partial file a resume goes on from, and reads of what was written.</summary>
public sealed partial class StreamDownload
{
    // A blob in the writer's memory goes back to the pool only under this gate, so a reader copying it out never reads
    // a buffer rented again meanwhile.
    private readonly Lock _bufferedGate = new();

    /// <summary>
    /// Reads data blob <paramref name="index"/>'s plaintext into <paramref name="destination"/> and returns its length:
    /// from the writer's memory while the blob waits there (decrypted, its hash checked), else from the file this
    /// download writes once the in-order writer has written it (waiting for either). For a reader of a blob that goes
    /// into the file only (<see cref="WritesWithoutBlobs"/>): its bytes came from a blob whose hash this run checked,
    /// received by this run or found whole in the partial file at its start. A player's first read takes blob 0 as
    /// soon as it is decrypted, not after the writer's turn and a read back (about 14 of a 32 ms first byte in one trace).
    /// </summary>
    public async Task<int> ReadWrittenAsync(int index, Memory<byte> destination, CancellationToken cancellationToken)
    {
        var descriptor = await WaitForDescriptorAsync(cancellationToken);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, descriptor.DataBlobCount);
        Prioritize(index, index);
        for (var changed = ChangeSignal(); Volatile.Read(ref _writerNext) <= index; changed = ChangeSignal())
        {
            if (CopyBuffered(index, destination.Span) is { } copied)
            {
                return copied;
            }

            if (_state is StreamDownloadState.Failed or StreamDownloadState.Stopped)
            {
                throw new StreamDownloadException(_error ?? $"The download of {SdHash} stopped before blob {index} was written.");
            }

            await WaitForChangeAsync(changed, IdlePoll, cancellationToken);
        }

        var offset = Volatile.Read(ref _plainOffsets[index]);
        var length = checked((int)(Volatile.Read(ref _plainOffsets[index + 1]) - offset));
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, length);
        for (var attempt = 0; ; attempt++)
        {
            // The partial file until the writer moves it to its name; a reader that raced the move looks again there.
            var path = Volatile.Read(ref _writtenPath) ?? _output?.PartialPath ?? throw new StreamDownloadException($"The download of {SdHash} has no file.");
            try
            {
                using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                var filled = 0;
                while (filled < length)
                {
                    var read = RandomAccess.Read(file, destination.Span[filled..length], offset + filled);
                    if (read == 0)
                    {
                        throw new StreamDownloadException($"{path} is shorter than this download wrote it: something else changed it.");
                    }

                    filled += read;
                }

                return length;
            }
            catch (FileNotFoundException) when (attempt < 3)
            {
                await WaitForChangeAsync(TimeSpan.FromMilliseconds(100), cancellationToken);
            }
        }
    }

    /// <summary>Tests only: bytes the file's writer copied into aligned memory before writing them (see <see cref="DirectWriteBuffer"/>).</summary>
    internal long WriterStagedBytesForTests { get; private set; }

    // The plaintext of blob `index` from the writer's memory, or null when it is not there (not yet received, written
    // already, or kept in the store instead).
    private int? CopyBuffered(int index, Span<byte> destination)
    {
        lock (_bufferedGate)
        {
            if (!_buffered.TryGetValue(index, out var blob))
            {
                return null;
            }

            var plain = blob.Plain.Content;
            ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, plain.Length);
            plain.CopyTo(destination);
            return plain.Length;
        }
    }

    // Gives a blob's plaintext buffer back, waiting for a reader copying it out of the writer's memory.
    private void Release(DecryptedBlob blob)
    {
        lock (_bufferedGate)
        {
            blob.Plain.Dispose();
        }
    }

    // Opens the partial file a stopped or killed run left (or starts it) and keeps the blobs it holds whole; returns how many.
    private int ResumePartialFile(StreamDescriptor descriptor)
    {
        var output = StreamOutputFile.Resume(_downloadDirectory, descriptor.SuggestedFileName, PartialTag, _options.DirectWrites);
        try
        {
            var (blobs, bytes) = output.Length == 0 ? (0, 0L) : PartialFileCheck.GoodPrefix(output.Handle, output.Length, descriptor, _key);
            output.Truncate(bytes);
            for (var i = 1; i <= blobs; i++)
            {
                _plainOffsets[i] = PartialFileCheck.OffsetOf(i - 1) + (i == blobs ? bytes - PartialFileCheck.OffsetOf(i - 1) : StreamEncryptor.PlaintextPerBlob);
            }

            _resumedBlobs = blobs;
            _writerNext = blobs;
            _output = output;
            return blobs;
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    private string PartialTag => PartialTagOf(SdHash);

    /// <summary>The tag in the name of a stream's partial file (<see cref="StreamOutputFile.PartialPathFor"/>).</summary>
    public static string PartialTagOf(BlobHash sdHash) => sdHash.ToString()[..16];

    private async Task<string> WriteFileAsync(StreamDescriptor descriptor, CancellationToken cancellationToken)
    {
        var key = Convert.FromHexString(descriptor.Key);
        var blobs = descriptor.Blobs;
        using var output = _output ?? StreamOutputFile.Create(_downloadDirectory, descriptor.SuggestedFileName, PartialTag, _options.DirectWrites);
        for (var index = _resumedBlobs; index < descriptor.DataBlobCount; index++)
        {
            await WaitForBlobAsync(index, cancellationToken);
            StepForTests?.Invoke("write", index, false);
            var info = blobs[index];
            if (_buffered.TryRemove(index, out var decrypted))
            {
                try
                {
                    output.Append(decrypted.Plain.Content);
                    Interlocked.Add(ref _bytesWritten, decrypted.Plain.Length);
                }
                finally
                {
                    Release(decrypted);
                }
            }
            else
            {
                // Not kept in memory (the writer fell behind): read it back, checking its hash unless this run
                // verified and stored it moments ago.
                var buffer = BlobBuffers.Pool.Rent(BlobStore.MaxBlobSize);
                try
                {
                    var length = _storage.Blobs.Read(info.BlobHash!.Value, buffer, verify: !Volatile.Read(ref _storedThisRun[index]));
                    var plain = StreamDecryptor.DecryptBlob(key, info, buffer, length);
                    output.Append(buffer.AsSpan(0, plain));
                    Interlocked.Add(ref _bytesWritten, plain);
                }
                finally
                {
                    BlobBuffers.Pool.Return(buffer);
                }
            }

            Volatile.Write(ref _plainOffsets[index + 1], output.Length);
            Volatile.Write(ref _writerNext, index + 1);
            MoveHorizon(index + 1);
            Pulse();
        }

        WriterStagedBytesForTests = output.StagedBytes;
        var path = output.Complete();
        OutputStamp = output.Stamp;
        Volatile.Write(ref _writtenPath, path);
        Pulse();
        return path;
    }
}
