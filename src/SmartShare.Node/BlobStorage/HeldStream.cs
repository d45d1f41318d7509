using Microsoft.Win32.SafeHandles;
using SmartShare.Crypto;
using SmartShare.IO;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Streams;

namespace SmartShare.Node.BlobStorage;

/// <summary>A stream held as its plain file: the file, its descriptor and the layout of its blobs in it.</summary>
internal sealed class HeldStream(BlobHash sdHash, string path, StreamDescriptor descriptor, PlainFileLayout layout, byte[] key)
{
    // Blobs served in this run, rebuilt from the file and matched while it had its recorded stamp. Only a stamp that is
    // not strict needs them: as for blob files (ServedBlobChecks), the first serve of a blob in a run then hashes it,
    // so a file edited with its modification time put back is still caught. A strict stamp sees such an edit in the
    // change time, so while the file keeps it every blob is trusted from the first serve.
    private readonly bool[] _verified = new bool[layout.BlobCount];
    private object _stamp = FileStamp.Unknown;

    public BlobHash SdHash { get; } = sdHash;

    public string Path { get; } = path;

    public StreamDescriptor Descriptor { get; } = descriptor;

    public PlainFileLayout Layout { get; } = layout;

    public byte[] Key { get; } = key;

    /// <summary>
    /// The file's stamp when its content was last known to be the stream's plaintext (verified whole, or vouched for by
    /// its share or download).
    /// </summary>
    public FileStamp Stamp
    {
        // Boxed, so a serve reads a whole stamp while a check replaces it (a stamp is three longs).
        get => (FileStamp)Volatile.Read(ref _stamp);
        set => Volatile.Write(ref _stamp, value);
    }

    public bool BlobsDropped { get; set; }

    /// <summary>The blob number asked for last (-1 before any): tells whether peers read the stream in order.</summary>
    public int LastAsked = -1;

    /// <summary>
    /// Whether blob <paramref name="blobNum"/>, rebuilt from the open file, needs no hash: the file still has the stamp
    /// recorded here, and that stamp is strict or the blob was served in this run, rebuilt from this file and matched to
    /// its hash, the file then having that stamp (as the blob server trusts a blob file it checked once).
    /// </summary>
    public bool IsTrusted(int blobNum, SafeFileHandle handle)
    {
        var stamp = Stamp;
        return (stamp.IsStrict || Volatile.Read(ref _verified[blobNum])) && Matches(stamp, handle);
    }

    public void MarkVerified(int blobNum) => Volatile.Write(ref _verified[blobNum], true);

    /// <summary>Whether the open file still has the stamp recorded when its content was known good.</summary>
    public bool Unchanged(SafeFileHandle handle) => Matches(Stamp, handle);

    private bool Matches(FileStamp stamp, SafeFileHandle handle) => stamp.Length == Layout.FileLength && stamp.Vouches(FileStamp.Strict(handle));

    /// <summary>Rebuilds every blob from the file and compares it with its hash (four blobs per AES pass, <see cref="AesCbcLanes"/>).</summary>
    public bool Verify(out string? reason)
    {
        var buffers = new byte[AesCbcLanes.MaxLanes][];
        for (var i = 0; i < buffers.Length; i++)
        {
            buffers[i] = BlobBuffers.Pool.Rent(BlobStore.MaxBlobSize);
        }

        try
        {
            using var handle = LocalFile.OpenRead(Path);
            var verify = new bool[buffers.Length];
            Array.Fill(verify, true);
            var results = new int[buffers.Length];
            for (var first = 0; first < Layout.BlobCount; first += buffers.Length)
            {
                var count = Math.Min(buffers.Length, Layout.BlobCount - first);
                var numbers = Enumerable.Range(first, count).ToArray();
                var destinations = buffers.Take(count).Select(buffer => buffer.AsMemory()).ToArray();
                BlobReencryptor.TryEncryptMany(handle, Descriptor, Layout, Key, numbers, destinations, verify.AsSpan(0, count), results);
                for (var i = 0; i < count; i++)
                {
                    if (results[i] < 0)
                    {
                        reason = $"blob {first + i} rebuilt from {Path} does not match its hash: the file is not this stream's plaintext";
                        return false;
                    }
                }
            }

            reason = null;
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            reason = $"{Path} cannot be read ({ex.Message})";
            return false;
        }
        finally
        {
            foreach (var buffer in buffers)
            {
                BlobBuffers.Pool.Return(buffer);
            }
        }
    }

    /// <summary>
    /// Appends the file's plaintext to <paramref name="output"/> blob by blob, each checked (re-encrypted and hashed)
    /// before it is written. Returns the number of the first blob that does not match, or null when all did.
    /// </summary>
    /// <exception cref="OperationCanceledException">Cancelled between two blobs (the caller deletes what it wrote).</exception>
    public int? CopyTo(StreamOutputFile output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        var plain = BlobBuffers.Pool.Rent(BlobStore.MaxBlobSize);
        var encrypted = BlobBuffers.Pool.Rent(BlobStore.MaxBlobSize);
        try
        {
            using var handle = LocalFile.OpenRead(Path);
            for (var i = 0; i < Layout.BlobCount; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var length = Layout.PlainLengthOf(i);
                var filled = 0;
                while (filled < length && RandomAccess.Read(handle, plain.AsSpan(filled, length - filled), Layout.OffsetOf(i) + filled) is var read and > 0)
                {
                    filled += read;
                }

                if (filled < length || BlobReencryptor.TryEncryptPlaintext(plain.AsSpan(0, length), Descriptor, Key, i, encrypted) < 0)
                {
                    return i;
                }

                output.Append(plain.AsSpan(0, length));
            }

            return null;
        }
        finally
        {
            BlobBuffers.Pool.Return(plain);
            BlobBuffers.Pool.Return(encrypted);
        }
    }
}
