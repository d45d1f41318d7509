using Microsoft.Win32.SafeHandles;
using SmartShare.Crypto;
using SmartShare.IO;
using SmartShare.Lbry.Blobs;
using SmartShare.Threading;

namespace SmartShare.Lbry.Streams;

/// <summary>
/// Makes a file into an LBRY stream exactly as lbry-sdk's <c>StreamDescriptor.create_stream</c> lays it out:
/// 2,097,151-byte chunks, each AES-128-CBC encrypted with PKCS#7 under one key and its own IV, then the
/// empty terminator, then the sorted-JSON descriptor. Chunks are read with positional I/O and encrypted,
/// hashed and stored on all cores at once; IVs are drawn in blob order, so a given random source always
/// yields the same stream. Memory is a few blob buffers whatever the file size.
/// </summary>
public sealed class StreamEncryptor
{
    public const int PlaintextPerBlob = BlobStore.MaxBlobSize - 1;
    public const int KeySize = 16;
    public const int IvSize = 16;

    // Each descriptor entry takes at least 190 bytes, so past this many blobs it cannot fit in 2 MiB.
    private const int BlobCountBeyondAnyDescriptor = 12_000;

    // Blobs encrypted together (AesCbcLanes), and so the pipeline's unit of work.
    private const int Lanes = AesCbcLanes.MaxLanes;

    private readonly LbryStorage _storage;
    private readonly IRandomSource _random;
    private readonly int _parallelism;

    public StreamEncryptor(LbryStorage storage, IRandomSource random, int? parallelism = null)
    {
        _storage = storage ?? throw new ArgumentNullException(nameof(storage));
        _random = random ?? throw new ArgumentNullException(nameof(random));
        _parallelism = Math.Max(1, parallelism ?? Environment.ProcessorCount);
    }

    /// <summary>
    /// Encrypts the file into blobs in the store, writes its sd blob and records the stream.
    /// <paramref name="key"/> is for reproducing reference vectors; normally a random key is drawn. Without
    /// <paramref name="storeDataBlobs"/> the data blobs are only hashed, never written: for a node that serves the stream
    /// from the file itself (rebuilding each blob on demand), so a share reads the file once and writes nothing but the
    /// descriptor.
    /// </summary>
    public async Task<StreamCreateResult> CreateAsync(
        string path, IProgress<long>? progress = null, byte[]? key = null, bool storeDataBlobs = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        var fullPath = Path.GetFullPath(path);
        using var handle = OpenSource(fullPath);
        var before = Snapshot(fullPath);
        var stampBefore = FileStamp.Strict(handle);
        var length = stampBefore.Length;
        var fileName = Path.GetFileName(fullPath);
        if (length == 0)
        {
            throw new StreamSourceException(
                $"{fullPath} is empty. lbry-sdk does not publish empty files (the stream would hold only its terminator), and neither does SmartShare.");
        }

        if (key is { Length: not KeySize })
        {
            throw new ArgumentException($"An AES-128 key is {KeySize} bytes.", nameof(key));
        }

        if (key is null)
        {
            key = new byte[KeySize];
            _random.Fill(key);
        }

        var blobCount = checked((int)Math.Min(int.MaxValue, ((length - 1) / PlaintextPerBlob) + 1));
        var suggestedName = FileNameSanitizer.LbryCompatible(fileName);
        EnsureDescriptorFits(fullPath, fileName, suggestedName, length, blobCount);

        var entries = new StreamBlobInfo[blobCount + 1];

        // Nothing gets a final name until the whole stream is made: if anything fails, disposing the
        // uncommitted batch removes every blob this attempt wrote.
        using var batch = _storage.Blobs.BeginBatch();
        await EncryptBlobsAsync(handle, fullPath, key, length, entries, storeDataBlobs ? batch : null, progress, cancellationToken);
        var terminatorIv = new byte[IvSize];
        _random.Fill(terminatorIv);
        entries[blobCount] = new StreamBlobInfo(blobCount, 0, Convert.ToHexStringLower(terminatorIv), null);

        if (Snapshot(fullPath) != before)
        {
            throw new StreamSourceException(
                $"{fullPath} changed while it was being shared. Share it again once nothing is writing to it.");
        }

        // The file as read, through the handle the bytes came from (a symbolic link's target): unchanged throughout, or unknown.
        var stamp = FileStamp.Strict(handle);
        var keyHex = Convert.ToHexStringLower(key);
        var streamHash = StreamDescriptorCodec.ComputeStreamHash(fileName, keyHex, suggestedName, entries);
        var descriptor = new StreamDescriptor(fileName, keyHex, suggestedName, streamHash, entries);
        var sdBlob = StreamDescriptorCodec.Serialize(descriptor);
        var (sdHash, _) = batch.Add(sdBlob);

        // The last moment a cancelled share can still leave nothing: past the commit its blobs are the store's.
        cancellationToken.ThrowIfCancellationRequested();
        batch.Commit();
        _storage.Streams.Add(sdHash, descriptor, fullPath);
        return new StreamCreateResult(sdHash, descriptor, fullPath, length, sdBlob.Length, stamp == stampBefore ? stamp : FileStamp.Unknown);
    }

    private async Task EncryptBlobsAsync(
        SafeFileHandle source,
        string path,
        byte[] key,
        long length,
        StreamBlobInfo[] entries,
        BlobBatch? batch,
        IProgress<long>? progress,
        CancellationToken cancellationToken)
    {
        using var buffers = new BlobBufferPool();
        long done = 0;
        var blobs = entries.Length - 1;
        await OrderedPipeline.RunAsync(
            (blobs + Lanes - 1) / Lanes,
            // One group of four blobs per core in flight and one more (8 MiB each): enough that a slow group at the
            // head of the line does not idle the other workers while completions wait for it.
            window: _parallelism + 1,
            start: group =>
            {
                var first = group * Lanes;
                var chunks = new Chunk[(int)Math.Min(Lanes, blobs - first)];
                for (var i = 0; i < chunks.Length; i++)
                {
                    var iv = new byte[IvSize];
                    _random.Fill(iv);
                    var offset = (first + i) * PlaintextPerBlob;
                    chunks[i] = new Chunk((int)(first + i), offset, (int)Math.Min(PlaintextPerBlob, length - offset), iv, buffers.Rent());
                }

                return chunks;
            },
            process: (chunks, _) =>
            {
                foreach (var chunk in chunks)
                {
                    ReadChunk(source, path, chunk);
                }

                Encrypt(key, chunks);
                foreach (var chunk in chunks)
                {
                    var cipher = chunk.Buffer.AsSpan(0, chunk.CipherLength);
                    chunk.Hash = batch is null ? BlobHash.Compute(cipher) : batch.Add(cipher).Hash;
                }

                return ValueTask.CompletedTask;
            },
            complete: (chunks, _) =>
            {
                foreach (var chunk in chunks)
                {
                    entries[chunk.Index] = new StreamBlobInfo(chunk.Index, chunk.CipherLength, Convert.ToHexStringLower(chunk.Iv), chunk.Hash);
                    done += chunk.PlainLength;
                }

                progress?.Report(done);
                return ValueTask.CompletedTask;
            },
            release: chunks =>
            {
                foreach (var chunk in chunks)
                {
                    buffers.Return(chunk.Buffer);
                }
            },
            cancellationToken);
    }

    // Each chunk's buffer encrypted in place: the group's AES-CBC runs interleaved (AesCbcLanes: CBC is serial within
    // a blob, and four blobs cost about what one does).
    private static void Encrypt(byte[] key, Chunk[] chunks)
    {
        var lanes = new CbcLane[chunks.Length];
        for (var i = 0; i < chunks.Length; i++)
        {
            lanes[i] = new CbcLane(chunks[i].Buffer.AsMemory(0, chunks[i].PlainLength), chunks[i].Iv, chunks[i].Buffer);
        }

        Span<int> lengths = stackalloc int[Lanes];
        AesCbcLanes.EncryptPkcs7(key, lanes, lengths);
        for (var i = 0; i < chunks.Length; i++)
        {
            chunks[i].CipherLength = lengths[i];
        }
    }

    private static void ReadChunk(SafeFileHandle source, string path, Chunk chunk)
    {
        var filled = 0;
        try
        {
            while (filled < chunk.PlainLength)
            {
                var read = RandomAccess.Read(source, chunk.Buffer.AsSpan(filled, chunk.PlainLength - filled), chunk.Offset + filled);
                if (read == 0)
                {
                    throw new StreamSourceException(
                        $"{path} became shorter while it was being shared. Share it again once nothing is writing to it.");
                }

                filled += read;
            }
        }
        catch (IOException ex)
        {
            throw new StreamSourceException($"Cannot read {path}: {ex.Message}", ex);
        }
    }

    private static SafeFileHandle OpenSource(string path)
    {
        if (Directory.Exists(path))
        {
            throw new StreamSourceException($"{path} is a folder; an LBRY stream is made from a single file.");
        }

        try
        {
            // A regular file only: a FIFO would block the open, a device would never end, /proc would leak.
            return LocalFile.OpenRead(path);
        }
        catch (LocalFileException ex)
        {
            throw new StreamSourceException(Path.Exists(path) ? ex.Message : $"Cannot share {path}: there is no such file.", ex);
        }
    }

    private static (long Length, DateTime Modified) Snapshot(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? (info.Length, info.LastWriteTimeUtc) : (-1, default);
    }

    /// <summary>
    /// A descriptor is a blob, so it must fit in 2 MiB; that caps a stream near 20 GiB. Its exact size is
    /// known before any work: every field has a fixed width but blob numbers and lengths.
    /// </summary>
    private static void EnsureDescriptorFits(string path, string name, string suggestedName, long length, int blobCount)
    {
        var tooLarge = blobCount > BlobCountBeyondAnyDescriptor
            || StreamDescriptorCodec.CanonicalLength(name, KeySize * 2, suggestedName, EncryptedLengths(length, blobCount)) > BlobStore.MaxBlobSize;
        if (tooLarge)
        {
            throw new StreamSourceException(
                $"{path} is too large for one LBRY stream: its descriptor would exceed the 2 MiB blob limit, " +
                "which allows about 20 GiB per stream. Split it, or share it as a torrent.");
        }
    }

    /// <summary>Each chunk's PKCS#7-padded length, then the terminator's 0.</summary>
    private static IEnumerable<int> EncryptedLengths(long length, int blobCount)
    {
        for (var i = 0; i < blobCount; i++)
        {
            var plain = (int)Math.Min(PlaintextPerBlob, length - ((long)i * PlaintextPerBlob));
            yield return ((plain / 16) + 1) * 16;
        }

        yield return 0;
    }

    private sealed class Chunk(int index, long offset, int plainLength, byte[] iv, byte[] buffer)
    {
        public int Index { get; } = index;

        public long Offset { get; } = offset;

        public int PlainLength { get; } = plainLength;

        public byte[] Iv { get; } = iv;

        public byte[] Buffer { get; } = buffer;

        public int CipherLength { get; set; }

        public BlobHash Hash { get; set; }
    }
}
