using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SmartShare.IO;
using SmartShare.Lbry;
using SmartShare.Lbry.Blobs;
using SmartShare.Node.Downloads;
using SmartShare.Node.Hosting;
using SmartShare.Node.Settings;

namespace SmartShare.Node.BlobStorage;

/// <summary>
/// Runs the storage limit and the streams held as plain files: at start it takes back the held streams and holds every
/// listed share and finished download not held yet; then an eviction pass runs after blobs are written and on a timer
/// of the node's clock (which also notices a changed <c>blob_storage_limit</c> or <c>keep_stream_blobs</c>, and checks
/// the plain files every minute). Its <c>status</c> section is <c>blob_storage</c>.
/// </summary>
internal sealed partial class BlobStorageService(
    LbryStorage storage,
    FileStore files,
    NodeSettingsStore settings,
    NodeRuntime runtime,
    DownloadManager downloads,
    PlainFileStreams plainFiles,
    BlobUseLog uses,
    BlobEviction eviction,
    TimeProvider time,
    ILogger<BlobStorageService> logger) : BackgroundService, IStatusContributor
{
    /// <summary>How often the timer looks at the settings and the limit.</summary>
    public static readonly TimeSpan Tick = TimeSpan.FromSeconds(2);

    /// <summary>How often held plain files are checked (length, and modification time, else every blob rebuilt).</summary>
    public static readonly TimeSpan PlainFileCheckInterval = TimeSpan.FromMinutes(1);

    private readonly SemaphoreSlim _wake = new(0, 1);

    // Streams to verify and hold, one at a time (each costs a pass over its file); a stream missed when full is held at the next start.
    private readonly Channel<(BlobHash SdHash, string Path, FileStamp Vouched)> _toHold = Channel.CreateBounded<(BlobHash, string, FileStamp)>(
        new BoundedChannelOptions(4096) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly Lock _passGate = new();
    private int _wakePending;
    private long _evictedBlobs;
    private long _evictedBytes;
    private long _pinnedOverLimitBytes;
    private (int LimitMb, bool Keep) _lastSettings;

    /// <summary>A limit in bytes used instead of the setting's megabytes, so tests run with small blobs; null for the setting.</summary>
    internal long? LimitBytesOverride { get; set; }

    /// <summary>The limit in bytes now; 0 for none. lbrynet's megabytes are 2^20 bytes.</summary>
    public long LimitBytes => LimitBytesOverride ?? settings.Current.BlobStorageLimitMb * 1024L * 1024L;

    public string Section => "blob_storage";

    /// <summary>Another pass is wanted soon (blobs were just written); passes asked meanwhile are one.</summary>
    public void Wake()
    {
        if (Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            _wake.Release();
        }
    }

    /// <summary>One eviction pass now (the loop's, also for tests and <c>settings_set</c>).</summary>
    public EvictionResult Evict()
    {
        lock (_passGate)
        {
            var result = eviction.Run(LimitBytes, () => BlobPins.Compute(storage, files));

            // Before the counts: a status that shows this pass's evictions shows its pinned bytes too (a reader in
            // between saw the new count next to the last pass's 0).
            Volatile.Write(ref _pinnedOverLimitBytes, result.UsedAfter > result.Limit && result.Limit > 0 ? result.PinnedBytes : 0);
            if (result.Evicted > 0)
            {
                Interlocked.Add(ref _evictedBytes, result.EvictedBytes);
                Interlocked.Add(ref _evictedBlobs, result.Evicted);
                LogEvicted(logger, result.Evicted, result.EvictedBytes, result.UsedAfter, result.Limit);
            }

            return result;
        }
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        storage.Blobs.BlobRead += uses.Touch;
        storage.Blobs.BlobsWritten += Wake;
        downloads.StreamReady += QueueHold;
        downloads.StreamRemoved += plainFiles.Forget;
        downloads.HoldSharedFile = (sdHash, path, stamp) => plainFiles.Hold(sdHash, path, stamp);
        plainFiles.Load();
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        storage.Blobs.BlobsWritten -= Wake;
        storage.Blobs.BlobRead -= uses.Touch;
        downloads.StreamReady -= QueueHold;
        downloads.StreamRemoved -= plainFiles.Forget;
        downloads.HoldSharedFile = null;
        await base.StopAsync(cancellationToken);
        uses.Flush();
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    public JsonNode? Describe()
    {
        var (count, bytes) = storage.Blobs.Totals();
        var limit = LimitBytes;

        // The counts first, the pinned bytes after: Evict writes them the other way round, so counts that include a
        // pass come with that pass's pinned bytes.
        var evictedBlobs = Interlocked.Read(ref _evictedBlobs);
        var evictedBytes = Interlocked.Read(ref _evictedBytes);
        var pinnedOverLimit = Volatile.Read(ref _pinnedOverLimitBytes);
        return new JsonObject
        {
            ["used_bytes"] = bytes,
            ["blobs"] = count,
            ["limit_mb"] = settings.Current.BlobStorageLimitMb,
            ["limit_bytes"] = limit,
            ["over_limit_pinned_bytes"] = pinnedOverLimit,
            ["evicted_blobs"] = evictedBlobs,
            ["evicted_bytes"] = evictedBytes,
            ["keep_stream_blobs"] = settings.Current.KeepStreamBlobs,
            ["plain_file_streams"] = plainFiles.HeldCount,
            ["plain_file_bytes"] = plainFiles.HeldBytes,
            ["plain_file_checks"] = plainFiles.WholeFileChecks,
        };
    }

    /// <summary>Holds each listed share and finished download whose file is not held yet (streams from before this existed).</summary>
    internal void HoldListed()
    {
        foreach (var record in files.List())
        {
            if (record is { Status: FileStatus.Completed, Path: { } path } && !plainFiles.IsHeld(record.SdHash) && !plainFiles.WasBroken(record.SdHash))
            {
                plainFiles.Hold(record.SdHash, path);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();

        // A one-off node of a CLI command neither verifies whole files nor deletes at start; the next real start does.
        if (runtime.Transient)
        {
            return;
        }

        var holding = HoldLoopAsync(stoppingToken);
        RunGuarded(() => HoldListed());
        var lastCheck = time.GetTimestamp();
        _lastSettings = (settings.Current.BlobStorageLimitMb, settings.Current.KeepStreamBlobs);
        RunGuarded(() => Evict());
        while (!stoppingToken.IsCancellationRequested)
        {
            var woken = await WaitAsync(stoppingToken);
            var current = (settings.Current.BlobStorageLimitMb, settings.Current.KeepStreamBlobs);
            var check = time.GetElapsedTime(lastCheck) >= PlainFileCheckInterval || current.KeepStreamBlobs != _lastSettings.Keep;
            if (check)
            {
                lastCheck = time.GetTimestamp();
                RunGuarded(() => plainFiles.Check(rehash: false));
            }

            if (woken || check || current != _lastSettings)
            {
                _lastSettings = current;
                RunGuarded(() => Evict());
            }

            if (check)
            {
                RunGuarded(uses.Flush);
                RunGuarded(uses.Prune);
            }
        }

        await holding;
    }

    // A share held at once (its blobs never written) needs no second hold.
    private void QueueHold(BlobHash sdHash, string path, FileStamp vouched)
    {
        if (!plainFiles.IsHeld(sdHash))
        {
            _toHold.Writer.TryWrite((sdHash, path, vouched));
        }
    }

    private async Task HoldLoopAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var (sdHash, path, vouched) in _toHold.Reader.ReadAllAsync(stoppingToken))
            {
                // Listed still (not removed meanwhile) and complete: a share, or a download that finished.
                if (files.Find(sdHash) is { Status: FileStatus.Completed })
                {
                    RunGuarded(() => plainFiles.Hold(sdHash, path, vouched));
                    Wake();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    // True when woken by written blobs, false when the tick came first.
    private async Task<bool> WaitAsync(CancellationToken stoppingToken)
    {
        using var either = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var wake = _wake.WaitAsync(either.Token);
        var tick = Task.Delay(Tick, time, either.Token);
        try
        {
            await Task.WhenAny(wake, tick);
        }
        finally
        {
            await either.CancelAsync();
        }

        stoppingToken.ThrowIfCancellationRequested();
        var woken = wake.IsCompletedSuccessfully;
        if (woken)
        {
            Interlocked.Exchange(ref _wakePending, 0);
        }

        return woken;
    }

    private void RunGuarded(Action pass)
    {
        try
        {
            pass();
        }
        catch (Exception ex) when (ex is not (OperationCanceledException or OutOfMemoryException))
        {
            // One failed pass (a locked database, a file that vanished) must not end the loop; the next tick tries again.
            LogPassFailed(logger, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Blob storage limit: evicted {Count} cached blobs ({Bytes} bytes); {Used} bytes used of {Limit}.")]
    private static partial void LogEvicted(ILogger logger, int count, long bytes, long used, long limit);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A blob storage pass failed: {Reason}")]
    private static partial void LogPassFailed(ILogger logger, string reason);
}
