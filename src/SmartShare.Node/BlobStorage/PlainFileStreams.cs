using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using SmartShare.Crypto;
using SmartShare.IO;
using SmartShare.Lbry;
using SmartShare.Lbry.BlobExchange;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Streams;
using SmartShare.Node.Downloads;
using SmartShare.Node.Settings;
using SmartShare.Storage;

namespace SmartShare.Node.BlobStorage;

/// <summary>
/// Streams held as their plain file (a share's source, a finished download's file) instead of, or beside, their
/// encrypted data blobs: the blob server asks here for any blob its store lacks (<see cref="IBlobSource"/>), and each is
/// rebuilt from the file (<see cref="BlobReencryptor"/>), checked against its hash, and kept in a small cache. A stream
/// is held only after every one of its blobs was rebuilt from the file and matched; then, unless
/// <c>keep_stream_blobs</c> is on, its data blobs leave the store (the sd blob always stays). A file found changed or
/// gone is never served: the stream is no longer held, and when its blobs were dropped its entry fails with a sentence
/// saying why and that starting it again downloads its blobs again.
/// </summary>
internal sealed partial class PlainFileStreams(
    LbryStorage storage,
    FileStore files,
    PlainStreamTable table,
    NodeSettingsStore settings,
    TimeProvider time,
    ILogger<PlainFileStreams> logger) : IBlobSource, IDisposable
{
    /// <summary>Rebuilt blobs kept: a read-ahead batch beside the blobs still being sent.</summary>
    public const int CacheCapacity = 2 * AesCbcLanes.MaxLanes;

    private readonly ConcurrentDictionary<BlobHash, HeldStream> _streams = new();
    private readonly ConcurrentDictionary<BlobHash, (HeldStream Stream, int BlobNum)> _blobs = new();
    private readonly ReencryptedBlobCache _cache = new(CacheCapacity);
    private readonly Lock _holdGate = new();
    private readonly SemaphoreSlim _rebuilds = new(Math.Max(2, Environment.ProcessorCount * 2));

    // Blobs being rebuilt, each with the task that ends when its batch is done (cached or not).
    private readonly ConcurrentDictionary<BlobHash, Task> _rebuilding = new();

    private long _wholeFileChecks;
    private long _servedBlobHashes;
    private long _rebuiltBlobs;
    private long _readAheadBlobs;

    public int HeldCount => _streams.Count;

    /// <summary>Whole-file checks (every blob rebuilt and hashed) run since the node started.</summary>
    public long WholeFileChecks => Interlocked.Read(ref _wholeFileChecks);

    /// <summary>Blobs rebuilt to serve them and hashed before they went out (the rest were trusted on the file's stamp).</summary>
    public long ServedBlobHashes => Interlocked.Read(ref _servedBlobHashes);

    /// <summary>Blobs rebuilt from plain files to serve them (each encryption counted once), and how many of them were read ahead.</summary>
    public (long Rebuilt, long ReadAhead) RebuiltBlobs => (Interlocked.Read(ref _rebuiltBlobs), Interlocked.Read(ref _readAheadBlobs));

    /// <summary>Plain bytes of the streams held (the files' lengths).</summary>
    public long HeldBytes => _streams.Values.Sum(stream => stream.Layout.FileLength);

    /// <summary>Whether a data blob is held as a plain file, and where.</summary>
    public bool Holds(BlobHash blob, out string? path)
    {
        path = _blobs.TryGetValue(blob, out var entry) ? entry.Stream.Path : null;
        return path is not null;
    }

    public bool IsHeld(BlobHash sdHash) => _streams.ContainsKey(sdHash);

    public void Dispose() => _rebuilds.Dispose();

    /// <summary>Whether the stream's plain file was found changed or gone (it is then not held again until it matches).</summary>
    public bool WasBroken(BlobHash sdHash) => table.Find(sdHash)?.Broken is not null;

    /// <summary>The listed streams whose plain file was found changed or gone.</summary>
    public IReadOnlyList<BlobHash> BrokenStreams() =>
        [.. table.List().Where(row => row.Broken is not null && files.Find(row.SdHash) is not null).Select(row => row.SdHash)];

    /// <summary>Why the stream's plain file is not served, or null.</summary>
    public string? BrokenReason(BlobHash sdHash) => table.Find(sdHash)?.Broken;

    /// <summary>Every data blob held as a plain file but not in the store, by stream (for <c>blob_list</c>).</summary>
    public IEnumerable<(BlobHash Hash, long Length, string Path)> BlobsNotInStore() =>
        _blobs.Where(entry => !storage.Blobs.Contains(entry.Key))
            .Select(entry => (entry.Key, (long)entry.Value.Stream.Descriptor.Blobs[entry.Value.BlobNum].Length, entry.Value.Stream.Path));

    /// <summary>Takes back the streams recorded as held at the last run (their files are checked on the next round).</summary>
    public void Load()
    {
        foreach (var row in table.List().Where(row => row.Broken is null))
        {
            if (TryBuild(row.SdHash, row.Path, row.Length, out var held, out var reason))
            {
                // The stamp its content was known good at, not the file's now: a change while the node was down is
                // then seen by the next check and by every serve until that check.
                held!.Stamp = row.Stamp;
                Add(held);
            }
            else
            {
                MarkBroken(row.SdHash, row.Path, reason!);
            }
        }
    }

    /// <summary>
    /// Verifies <paramref name="path"/> as the plain file of a listed stream (every blob rebuilt and matched) and holds
    /// it; then drops its data blobs unless <c>keep_stream_blobs</c> is on. Returns false, with the reason logged, when
    /// the file does not give the stream's blobs (it is then served from its blobs only). A file that still has the
    /// stamp its share or download <paramref name="vouched"/> for (the bytes it encrypted, or wrote from checked blobs)
    /// is held without that pass: rebuilding a large file costs as much CPU as sharing it again. When that stamp is
    /// strict, its blobs are served without hashing them (<see cref="HeldStream.IsTrusted"/>); otherwise each is hashed
    /// the first time it is served in a run.
    /// </summary>
    public bool Hold(BlobHash sdHash, string path, FileStamp? vouched = null)
    {
        if (!TryBuild(sdHash, path, expectedLength: null, out var held, out var reason) || !(Vouches(vouched, held!) || CheckWhole(held!, out reason)))
        {
            LogNotHeld(logger, sdHash, path, reason!);
            return false;
        }

        lock (_holdGate)
        {
            // Removed while its file was being verified: Forget already ran, so nothing may be held for it now.
            if (files.Find(sdHash) is null)
            {
                return false;
            }

            table.Upsert(sdHash, held!.Path, held.Stamp, blobsDropped: false, broken: null);
            Add(held);
        }

        LogHeld(logger, sdHash, path);
        DropBlobsIfAllowed(held!);
        return true;
    }

    private bool CheckWhole(HeldStream held, out string? reason)
    {
        Interlocked.Increment(ref _wholeFileChecks);
        return held.Verify(out reason);
    }

    // Whether the file still has the stamp vouched for; it is then the held stream's (strict or not, as vouched).
    private static bool Vouches(FileStamp? vouched, HeldStream held)
    {
        if (vouched is not { IsKnown: true } stamp || stamp.Length != held.Layout.FileLength)
        {
            return false;
        }

        try
        {
            using var handle = LocalFile.OpenRead(held.Path);
            if (!stamp.Vouches(FileStamp.Strict(handle)))
            {
                return false;
            }

            held.Stamp = stamp;
            return true;
        }
        catch (LocalFileException)
        {
            return false;
        }
    }

    /// <summary>A removed stream (<c>file_delete</c>): no longer held, its row gone.</summary>
    public void Forget(BlobHash sdHash)
    {
        lock (_holdGate)
        {
            if (_streams.TryRemove(sdHash, out var held))
            {
                RemoveBlobs(held);
            }

            table.Delete(sdHash);
        }
    }

    public long? TryGetLength(BlobHash hash) =>
        _blobs.TryGetValue(hash, out var entry) ? entry.Stream.Descriptor.Blobs[entry.BlobNum].Length : null;

    /// <summary>
    /// Writes a copy of a held stream's file into <paramref name="directory"/> (<c>file_save</c> of a stream whose blobs
    /// were dropped), checking every blob's plaintext against its hash on the way; null when the stream is not held.
    /// </summary>
    /// <exception cref="LbryDataException">The plain file changed; the stream is then no longer held.</exception>
    public string? TrySaveCopy(BlobHash sdHash, string directory, CancellationToken cancellationToken = default)
    {
        if (!_streams.TryGetValue(sdHash, out var held))
        {
            return null;
        }

        using var output = StreamOutputFile.Create(directory, held.Descriptor.SuggestedFileName, directWrites: settings.Current.DirectWrites);
        int? failed;
        try
        {
            failed = held.CopyTo(output, cancellationToken);
        }
        catch (LocalFileException ex)
        {
            // The plain file went away (or cannot be opened) since it was last seen: the stream is not held any more,
            // and the caller falls back to the blobs, which say which one is missing. Nothing is kept.
            MarkBroken(sdHash, held.Path, ex.Message);
            return null;
        }

        if (failed is not null)
        {
            var reason = $"blob {failed} rebuilt from {held.Path} no longer matches its hash: the file changed";
            MarkBroken(sdHash, held.Path, reason);
            throw new LbryDataException($"Cannot save {sdHash}: {reason}. Nothing was written.");
        }

        return output.Complete();
    }

    private void DropBlobsIfAllowed(HeldStream held)
    {
        if (settings.Current.KeepStreamBlobs)
        {
            return;
        }

        var dropped = 0;
        foreach (var blob in held.Descriptor.DataBlobs)
        {
            var hash = blob.BlobHash!.Value;
            if (!storage.Blobs.Contains(hash) || !OnlyHeldStreamsContain(hash))
            {
                continue;
            }

            try
            {
                storage.Blobs.Delete(hash);
                dropped++;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or StorageException or Microsoft.Data.Sqlite.SqliteException)
            {
                LogDropFailed(logger, hash, held.SdHash, ex.Message);
            }
        }

        if (!held.BlobsDropped && held.Descriptor.DataBlobs.All(blob => !storage.Blobs.Contains(blob.BlobHash!.Value)))
        {
            held.BlobsDropped = true;
            table.Upsert(held.SdHash, held.Path, held.Stamp, blobsDropped: true, broken: null);
        }

        if (dropped > 0)
        {
            LogDropped(logger, held.SdHash, dropped, held.Path);
        }
    }

    // A blob also in a stream not held as a plain file (the same stream listed twice cannot be; another stream with the
    // same key and IV could) stays.
    private bool OnlyHeldStreamsContain(BlobHash blob) => storage.Streams.StreamsContaining(blob).All(_streams.ContainsKey);

    private bool TryBuild(BlobHash sdHash, string path, long? expectedLength, out HeldStream? held, out string? reason)
    {
        held = null;
        StreamDescriptor descriptor;
        try
        {
            descriptor = new StreamDecryptor(storage).ReadDescriptor(sdHash);
        }
        catch (Exception ex) when (ex is LbryDataException or IOException or UnauthorizedAccessException)
        {
            reason = $"its descriptor cannot be read ({ex.Message})";
            return false;
        }

        var readFrom = time.GetUtcNow();
        var now = StampNow(path);
        if (!now.IsKnown)
        {
            reason = $"the file {path} is gone";
            return false;
        }

        if (expectedLength is { } length && now.Length != length)
        {
            reason = $"the file {path} is now {now.Length} bytes, not the {length} it was";
            return false;
        }

        var layout = PlainFileLayout.TryCreate(descriptor, now.Length, out reason);
        if (layout is null)
        {
            return false;
        }

        // Taken before any pass over the file, so a write during one leaves the file with another stamp.
        held = new HeldStream(sdHash, Path.GetFullPath(path), descriptor, layout, Convert.FromHexString(descriptor.Key))
        {
            Stamp = now.SettledBefore(readFrom),
        };
        return true;
    }

    private void Add(HeldStream held)
    {
        if (_streams.TryRemove(held.SdHash, out var previous))
        {
            RemoveBlobs(previous);
        }

        _streams[held.SdHash] = held;
        for (var i = 0; i < held.Layout.BlobCount; i++)
        {
            _blobs[held.Descriptor.DataBlobHash(i)] = (held, i);
        }
    }

    private void RemoveBlobs(HeldStream held)
    {
        var hashes = new List<BlobHash>(held.Layout.BlobCount);
        for (var i = 0; i < held.Layout.BlobCount; i++)
        {
            var hash = held.Descriptor.DataBlobHash(i);
            hashes.Add(hash);

            // Only this holding's entry: a newer holding of the same stream keeps its own.
            _blobs.TryRemove(new KeyValuePair<BlobHash, (HeldStream, int)>(hash, (held, i)));
        }

        _cache.Remove(hashes);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Holding {SdHash} as its plain file {Path}: its blobs are rebuilt from it on demand.")]
    private static partial void LogHeld(ILogger logger, BlobHash sdHash, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dropped {Count} data blobs of {SdHash}; they are served from {Path}.")]
    private static partial void LogDropped(ILogger logger, BlobHash sdHash, int count, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Not holding {SdHash} as its plain file {Path}: {Reason}. It is served from its blobs.")]
    private static partial void LogNotHeld(ILogger logger, BlobHash sdHash, string path, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Answered blob {Blob} of {SdHash} as not available: {Reason}.")]
    private static partial void LogServedNotAvailable(ILogger logger, BlobHash blob, BlobHash sdHash, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The plain file {Path} of {SdHash} is no longer served: {Reason}.")]
    private static partial void LogBroken(ILogger logger, BlobHash sdHash, string path, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "The plain file {Path} of {SdHash} matches its stream again; serving it.")]
    private static partial void LogRestored(ILogger logger, BlobHash sdHash, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not drop blob {Blob} of {SdHash}: {Reason}")]
    private static partial void LogDropFailed(ILogger logger, BlobHash blob, BlobHash sdHash, string reason);
}
