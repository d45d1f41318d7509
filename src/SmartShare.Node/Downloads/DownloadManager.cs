using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SmartShare.IO;
using SmartShare.Lbry;
using SmartShare.Lbry.BlobExchange;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Dht;
using SmartShare.Lbry.Downloads;
using SmartShare.Lbry.Streams;
using SmartShare.Node.Hosting;
using SmartShare.Node.Settings;

namespace SmartShare.Node.Downloads;

/// <summary>
/// The node's downloads and shares: starts a <see cref="StreamDownload"/> per stream, records each in the file
/// list so a restarted node resumes what was running, announces streams once they are complete, and answers
/// what the API and the streaming endpoint ask about them.
/// </summary>
public sealed partial class DownloadManager(
    LbryStorage storage,
    FileStore files,
    LbryDhtService dht,
    BlobServerHost blobServer,
    DhtMembership membership,
    Announcer announcer,
    LocalDiscovery.LbryLanDiscovery localDiscovery,
    NodeSettingsStore settings,
    NodeRuntime runtime,
    Limits.BandwidthLimits limits,
    IRandomSource random,
    TimeProvider time,
    ILogger<DownloadManager> logger) : IHostedService, IDisposable
{
    private readonly ConcurrentDictionary<BlobHash, ActiveDownload> _active = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly StreamBlobRemover _blobRemover = new(storage, files, logger);

    /// <summary>
    /// Raised when a stream's plain file is complete: a share created (its source) or a download finished (its file),
    /// with the stamp the share or download vouches for (its bytes are the stream's while the file keeps it).
    /// </summary>
    public event Action<BlobHash, string, FileStamp>? StreamReady;

    /// <summary>Raised when a stream left the list (<c>file_delete</c>), before its blobs are deleted.</summary>
    public event Action<BlobHash>? StreamRemoved;

    /// <summary>Options for new downloads; tests shorten the time limits.</summary>
    public StreamDownloadOptions? DownloadOptions { get; set; }

    /// <summary>
    /// How long <c>/stream</c> of a stream not yet held waits for each thing it needs before its headers (the descriptor,
    /// then the last blob, which tells the length) before it answers 504 and lets the download go on; tests shorten it.
    /// </summary>
    public TimeSpan StreamOpenWait { get; set; } = TimeSpan.FromSeconds(60);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // A node run for one CLI command leaves interrupted downloads for the next real start.
        foreach (var record in files.List().Where(record => record.Status == FileStatus.Downloading && !runtime.Transient))
        {
            LogResuming(logger, record.SdHash);
            Start(record.SdHash, record.DownloadDirectory, record.Peers, record.Private);
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Stopping the node is not stopping the downloads: their entries stay "downloading" and resume next start.
        await _stopping.CancelAsync();
        await Task.WhenAll(_active.Values.Select(active => active.Completion.ContinueWith(_ => { }, TaskScheduler.Default)));
    }

    public void Dispose() => _stopping.Dispose();

    /// <summary>
    /// Starts downloading a stream, or returns the download already running for it. A completed stream whose file
    /// is still there is not downloaded again.
    /// </summary>
    public ActiveDownload? Start(BlobHash sdHash, string? downloadDirectory, IEnumerable<IPEndPoint> peers, bool isPrivate = false)
    {
        ArgumentNullException.ThrowIfNull(peers);
        var fixedPeers = peers.ToList();
        if (_active.TryGetValue(sdHash, out var running))
        {
            running.Download.AddPeers(fixedPeers);
            return running;
        }

        var known = files.Find(sdHash);
        if (known is { Status: FileStatus.Completed, Path: { } path } && File.Exists(path))
        {
            return null;
        }

        var directory = Path.GetFullPath(downloadDirectory ?? known?.DownloadDirectory ?? settings.Current.DownloadDirectory);
        // A node that will serve the finished stream from its file (not a one-off, keep_stream_blobs off) writes each byte
        // once, into the file: the blobs would be dropped as soon as the file is held.
        var options = (DownloadOptions ?? new StreamDownloadOptions { MaxConnections = settings.Current.MaxConnectionsPerDownload }) with
        {
            KeepDataBlobs = runtime.Transient || settings.Current.KeepStreamBlobs || HoldSharedFile is null,
            DirectWrites = settings.Current.DirectWrites,
        };
        var finder = new DhtPeerFinder(dht, membership, () => blobServer.LocalEndPoint, localDiscovery);
        // A client per download, so its blob bodies pass the stream's own download limiter (under the node's).
        var client = new BlobExchangeClient(new BlobExchangeClientOptions { DownloadLimiter = limits.For(Transfers.TransferKey.Of(sdHash)).Download }, time);
        var download = new StreamDownload(sdHash, storage, client, finder, directory, options, time);
        download.AddPeers(fixedPeers);
        var cancel = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        var added = known?.AddedAt ?? time.GetUtcNow();
        var record = new FileRecord(
            sdHash, FileKind.Download, FileStatus.Downloading, directory, null, known?.StreamName, null, fixedPeers, added, null, isPrivate || known?.Private == true);
        var active = new ActiveDownload(download, cancel, time) { Finder = finder };
        if (!_active.TryAdd(sdHash, active))
        {
            cancel.Dispose();
            return _active[sdHash];
        }

        files.Upsert(record);
        LogStarted(logger, sdHash, directory);
        active.Completion = RunAsync(active, record);
        return active;
    }

    /// <summary>
    /// Joins the DHT through contacts the user gave (a .smartshare file's), in the background. Their addresses are
    /// trusted even where the public rules would refuse them (LAN, loopback): they were given explicitly.
    /// </summary>
    public void AddDhtContacts(IEnumerable<IPEndPoint> contacts)
    {
        ArgumentNullException.ThrowIfNull(contacts);
        var seeds = contacts.Where(contact => dht.Endpoint.Policy.Trust(contact.Address)).ToList();
        if (seeds.Count == 0)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await dht.Engine.JoinAsync(seeds, _stopping.Token);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogJoinFailed(logger, seeds.Count, ex.Message);
            }
        });
    }

    /// <summary>Stores a descriptor that came with the request (embedded in a .smartshare file) after checking its hash.</summary>
    public void ImportDescriptor(BlobHash sdHash, byte[] sdBlob)
    {
        ArgumentNullException.ThrowIfNull(sdBlob);
        if (storage.Blobs.TryGetLength(sdHash) is null)
        {
            storage.Blobs.AddVerified(sdHash, sdBlob);
        }
    }

    /// <summary>The running download of a stream, if any.</summary>
    public ActiveDownload? Active(BlobHash sdHash) => _active.GetValueOrDefault(sdHash);

    public FileRecord? Find(BlobHash sdHash) => files.Find(sdHash);

    public IReadOnlyList<FileRecord> List() => files.List();

    /// <summary>
    /// Holds a share's source as its plain file at once, on the stamp the share took of it (set by the blob storage
    /// service of a node that serves streams from their files); false when the file no longer has that stamp.
    /// </summary>
    internal Func<BlobHash, string, FileStamp, bool>? HoldSharedFile { get; set; }

    /// <summary>
    /// Shares a file: creates its stream in the store, lists it and announces it. A node that keeps no second copy of
    /// its streams (<c>keep_stream_blobs</c> off) writes no data blob: it holds the source at once and serves every blob
    /// from it, so sharing reads the file once and writes only the descriptor.
    /// </summary>
    public async Task<StreamCreateResult> ShareAsync(string path, bool isPrivate, CancellationToken cancellationToken)
    {
        // Also a one-off node of a CLI command: the held file is recorded, and the next start serves from it.
        var hold = settings.Current.KeepStreamBlobs ? null : HoldSharedFile;
        var readFrom = time.GetUtcNow();
        var created = await new StreamEncryptor(storage, random).CreateAsync(path, storeDataBlobs: hold is null, cancellationToken: cancellationToken);
        var vouched = created.SourceStamp.SettledBefore(readFrom);
        var now = time.GetUtcNow();
        files.Upsert(new FileRecord(
            created.SdHash, FileKind.Share, FileStatus.Completed, Path.GetDirectoryName(created.SourcePath), created.SourcePath,
            created.Descriptor.StreamName, null, [], now, now, isPrivate));
        if (hold is not null && !hold(created.SdHash, created.SourcePath, vouched))
        {
            // Written to (or moved) just after it was read: nothing would serve its blobs. The share is taken back whole.
            await DeleteAsync(created.SdHash, deleteFile: false, cancellationToken);
            throw new StreamSourceException($"{created.SourcePath} changed while it was being shared. Share it again once nothing is writing to it.");
        }

        LogShared(logger, created.SdHash, created.SourcePath);
        StreamReady?.Invoke(created.SdHash, created.SourcePath, vouched);
        AnnounceInBackground(created.SdHash);
        return created;
    }

    /// <summary>
    /// Stops a running download and keeps it listed as stopped, with the blobs it has; <see cref="Resume"/> goes on.
    /// </summary>
    /// <returns>False when no such stream is listed.</returns>
    /// <exception cref="InvalidOperationException">The stream is complete (its blobs are served as long as it is listed).</exception>
    public async Task<bool> PauseAsync(BlobHash sdHash, CancellationToken cancellationToken)
    {
        var record = files.Find(sdHash);
        if (record is null)
        {
            return false;
        }

        if (_active.TryGetValue(sdHash, out var active))
        {
            await active.Cancel.CancelAsync();
            await active.Completion.WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            return true;
        }

        if (record.Status == FileStatus.Completed)
        {
            throw new InvalidOperationException(
                $"The stream {sdHash} is complete; its blobs are served while it is listed. Remove it (file_delete) to stop sharing it.");
        }

        // A stop asked for is the user's: it clears a full disk's pause, which would otherwise go on by itself.
        files.Upsert(record with { Status = FileStatus.Stopped, Error = null });
        return true;
    }

    /// <summary>Starts a stopped or failed download again; a running or complete one is left as it is.</summary>
    /// <returns>False when no such stream is listed.</returns>
    public bool Resume(BlobHash sdHash)
    {
        var record = files.Find(sdHash);
        if (record is null)
        {
            return false;
        }

        // A failed share is one whose source changed after its blobs were dropped: starting it downloads them again.
        if (record.Status != FileStatus.Completed && (record.Kind == FileKind.Download || record.Status == FileStatus.Failed))
        {
            Start(sdHash, record.DownloadDirectory, record.Peers, record.Private);
        }

        return true;
    }

    /// <summary>
    /// Removes a stream from the list, stopping its download; with <paramref name="deleteFile"/> the downloaded file
    /// goes too (a shared file's source is never deleted). Then its blobs, whole or partial, are deleted from the
    /// store unless a stream still listed needs them, and the stream leaves the index (no longer announced or served).
    /// </summary>
    public async Task<bool> DeleteAsync(BlobHash sdHash, bool deleteFile, CancellationToken cancellationToken)
    {
        if (_active.TryGetValue(sdHash, out var active))
        {
            await active.Cancel.CancelAsync();
            await active.Completion.WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        var record = files.Find(sdHash);
        if (record is null)
        {
            return false;
        }

        if (deleteFile && record.Kind == FileKind.Download && record.Path is { } path && File.Exists(path))
        {
            File.Delete(path);
        }

        DeletePartialFile(record);

        // The row goes first: a crash before the blobs leaves orphan blobs, never a listed stream missing its blobs.
        var removed = files.Delete(sdHash);
        StreamRemoved?.Invoke(sdHash);
        _blobRemover.Remove(sdHash);
        return removed;
    }

    // The hidden partial file a stopped download keeps to resume from (never the user's file: that has its own name).
    private void DeletePartialFile(FileRecord record)
    {
        if (record is not { Kind: FileKind.Download, Status: not FileStatus.Completed, DownloadDirectory: { } directory } || !storage.Blobs.Contains(record.SdHash))
        {
            return;
        }

        try
        {
            var descriptor = new StreamDecryptor(storage).ReadDescriptor(record.SdHash);
            File.Delete(StreamOutputFile.PartialPathFor(directory, descriptor.SuggestedFileName, StreamDownload.PartialTagOf(record.SdHash)));
        }
        catch (Exception ex) when (ex is LbryDataException or IOException or UnauthorizedAccessException)
        {
            LogPartialNotDeleted(logger, record.SdHash, ex.Message);
        }
    }

    private async Task<string?> RunAsync(ActiveDownload active, FileRecord record)
    {
        // Leave the caller's thread at once; the download's first steps read the store.
        await Task.Yield();
        var sdHash = active.Download.SdHash;
        try
        {
            var path = await active.Download.RunAsync(active.Cancel.Token);
            files.Upsert(record with
            {
                Status = FileStatus.Completed,
                Path = path,
                StreamName = active.Download.Descriptor?.StreamName,
                CompletedAt = time.GetUtcNow(),
            });
            LogCompleted(logger, sdHash, path);
            if (path is not null)
            {
                StreamReady?.Invoke(sdHash, path, active.Download.OutputStamp);
            }

            AnnounceInBackground(sdHash);
            return path;
        }
        catch (OperationCanceledException) when (active.Cancel.IsCancellationRequested)
        {
            if (!_stopping.IsCancellationRequested && files.Find(sdHash) is not null)
            {
                files.Upsert(record with { Status = FileStatus.Stopped, StreamName = active.Download.Descriptor?.StreamName });
            }

            return null;
        }
        catch (Exception ex) when (ex is LbryDataException or IOException or UnauthorizedAccessException or Storage.StorageException)
        {
            // A full disk pauses the download (Transfers/DiskFullResumer starts it again once there is room); anything else fails it.
            var full = Storage.DiskErrors.CausedByFullDisk(ex, out var fullFolder);
            var error = full ? Storage.DiskErrors.PausedSentence(fullFolder ?? record.DownloadDirectory ?? "?") : ex.Message;
            files.Upsert(record with { Status = full ? FileStatus.Stopped : FileStatus.Failed, Error = error, StreamName = active.Download.Descriptor?.StreamName });
            LogFailed(logger, sdHash, error);
            return null;
        }
        finally
        {
            _active.TryRemove(sdHash, out _);
            active.Cancel.Dispose();
        }
    }

    private void AnnounceInBackground(BlobHash sdHash)
    {
        localDiscovery.StreamReady();
        _ = Task.Run(async () =>
        {
            try
            {
                await announcer.AnnounceNowAsync(sdHash, _stopping.Token);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The 12-hourly round announces it again; a node without DHT contacts yet cannot announce now.
                LogAnnounceFailed(logger, sdHash, ex.Message);
            }
        });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Resuming the download of {SdHash}.")]
    private static partial void LogResuming(ILogger logger, BlobHash sdHash);

    [LoggerMessage(Level = LogLevel.Information, Message = "Downloading {SdHash} into {Directory}.")]
    private static partial void LogStarted(ILogger logger, BlobHash sdHash, string directory);

    [LoggerMessage(Level = LogLevel.Information, Message = "Shared {SdHash} from {Path}.")]
    private static partial void LogShared(ILogger logger, BlobHash sdHash, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Downloaded {SdHash} to {Path}.")]
    private static partial void LogCompleted(ILogger logger, BlobHash sdHash, string? path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The download of {SdHash} failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, BlobHash sdHash, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not join the DHT through {Count} given contacts: {Reason}")]
    private static partial void LogJoinFailed(ILogger logger, int count, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete the partial file of {SdHash}: {Reason}")]
    private static partial void LogPartialNotDeleted(ILogger logger, BlobHash sdHash, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not announce {SdHash} now: {Reason}")]
    private static partial void LogAnnounceFailed(ILogger logger, BlobHash sdHash, string reason);
}
