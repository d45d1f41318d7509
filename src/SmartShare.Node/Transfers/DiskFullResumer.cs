using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SmartShare.Storage;

namespace SmartShare.Node.Transfers;

/// <summary>
/// Starts again, by itself, every transfer a full disk paused (a stream or a torrent stopped with the error
/// <see cref="DiskErrors.PausedSentence"/>), once the disk holding the folder it names has room: as much as the
/// transfer still lacks, or <see cref="EnoughRoom"/> when it lacks more. Each paused transfer is looked at after
/// <see cref="FirstCheck"/>, then at twice the previous wait up to <see cref="LongestWait"/> while the disk stays
/// full; every wait runs on the node's <see cref="TimeProvider"/>. A transfer the user stops or removes in the
/// meantime is left alone (its error no longer says it waits for room), and so is one paused before a restart until
/// this sees it (at the first look after start).
/// </summary>
internal sealed partial class DiskFullResumer : IHostedService, IAsyncDisposable
{
    public static readonly TimeSpan FirstCheck = TimeSpan.FromSeconds(3);

    public static readonly TimeSpan LongestWait = TimeSpan.FromSeconds(60);

    /// <summary>Room that is enough to go on with any transfer (it pauses again if it fills that too).</summary>
    public const long EnoughRoom = 16L * 1024 * 1024;

    private readonly TransferManager _transfers;
    private readonly Func<IEnumerable<(TransferKey Key, Downloads.FileStatus Status, string? Error)>> _rows;
    private readonly Func<string, long?> _freeBytes;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<TransferKey, Waiting> _waiting = [];
    private readonly Lock _lock = new();
    private ITimer? _timer;

    public DiskFullResumer(TransferManager transfers, Downloads.FileStore streams, Torrents.TorrentStore torrents, TimeProvider time, ILogger<DiskFullResumer> logger)
        : this(
            transfers,

            // The stored rows, not the transfers' views; only those stopped with an error make a key (every few seconds,
            // over thousands of rows that seed).
            () => streams.List()
                .Where(record => MayBePaused(record.Status, record.Error))
                .Select(record => (TransferKey.Of(record.SdHash), record.Status, record.Error))
                .Concat(torrents.List()
                    .Where(record => MayBePaused(record.Status, record.Error))
                    .Select(record => (TransferKey.Of(record.InfoHash), record.Status, record.Error))),
            FreeBytes,
            time,
            logger)
    {
    }

    /// <summary>For tests: the rows and the free space come from the caller.</summary>
    internal DiskFullResumer(
        TransferManager transfers,
        Func<IEnumerable<(TransferKey Key, Downloads.FileStatus Status, string? Error)>> rows,
        Func<string, long?> freeBytes,
        TimeProvider time,
        ILogger logger)
    {
        _transfers = transfers;
        _rows = rows;
        _freeBytes = freeBytes;
        _time = time;
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _timer = _time.CreateTimer(static state => ((DiskFullResumer)state!).Tick(), this, FirstCheck, FirstCheck);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => DisposeAsync().AsTask();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _timer, null) is { } timer)
        {
            await timer.DisposeAsync();
        }
    }

    // What Look takes further: a transfer stopped or failed with an error (it reads the error).
    private static bool MayBePaused(Downloads.FileStatus status, string? error) =>
        status is Downloads.FileStatus.Stopped or Downloads.FileStatus.Failed && error is not null;

    /// <summary>Free bytes on the disk holding <paramref name="folder"/> (its nearest existing ancestor), or null when unknown.</summary>
    public static long? FreeBytes(string folder)
    {
        try
        {
            return new DriveInfo(DownloadFolderCheck.NearestExisting(folder)).AvailableFreeSpace;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    private void Tick()
    {
        lock (_lock)
        {
            try
            {
                Look();
            }
            catch (Exception ex) when (ex is StorageException or Microsoft.Data.Sqlite.SqliteException or IOException or ObjectDisposedException or InvalidOperationException)
            {
                // The next tick looks again.
                LogLookFailed(_logger, ex.Message);
            }
        }
    }

    private void Look()
    {
        var now = _time.GetUtcNow();
        var paused = new HashSet<TransferKey>();
        foreach (var (key, status, error) in _rows())
        {
            if (status is not (Downloads.FileStatus.Stopped or Downloads.FileStatus.Failed) || !DiskErrors.TryGetPausedFolder(error, out var folder)
                || _transfers.Find(key) is not { State: TransferState.Stopped or TransferState.Failed } transfer)
            {
                continue;
            }

            paused.Add(transfer.Key);
            if (!_waiting.TryGetValue(transfer.Key, out var waiting))
            {
                // Seen paused for the first time: look at its disk at once (it may have been freed while the node was off).
                waiting = new Waiting(now, FirstCheck);
            }

            if (now < waiting.Next)
            {
                _waiting[transfer.Key] = waiting;
                continue;
            }

            var lacking = transfer.Progress.BytesTotal is { } total ? Math.Max(0, total - transfer.Progress.BytesHave) : EnoughRoom;
            var free = _freeBytes(folder);
            if (free is { } room && room >= Math.Min(lacking, EnoughRoom))
            {
                var name = transfer.Name ?? transfer.Key.ToString();
                LogResuming(_logger, name, folder, room);
                _waiting.Remove(transfer.Key);
                _transfers.Start(transfer.Key);
                continue;
            }

            var wait = waiting.Wait * 2 < LongestWait ? waiting.Wait * 2 : LongestWait;
            _waiting[transfer.Key] = new Waiting(now + waiting.Wait, wait);
        }

        foreach (var key in _waiting.Keys.Where(key => !paused.Contains(key)).ToList())
        {
            _waiting.Remove(key);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Name}: the disk holding {Folder} has room again ({Free} bytes free); going on.")]
    private static partial void LogResuming(ILogger logger, string name, string folder, long free);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not look at the transfers a full disk paused: {Reason}")]
    private static partial void LogLookFailed(ILogger logger, string reason);

    private readonly record struct Waiting(DateTimeOffset Next, TimeSpan Wait);
}
