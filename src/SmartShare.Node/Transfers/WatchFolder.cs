using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SmartShare.IO;
using SmartShare.Node.Settings;

namespace SmartShare.Node.Transfers;

/// <summary>
/// The watch folder (<c>watch_dir</c>): every .torrent and .smartshare file that appears in it is added through the
/// <see cref="TransferManager"/>, as <c>get</c> would, then moved into <c>added/</c>; one that cannot be added goes to
/// <c>failed/</c> with a <c>NAME.error.txt</c> that says why. A file is taken only once its size and modification time
/// stayed the same over two scans at least <see cref="Settle"/> apart, so one still being written is left alone.
/// The folder is scanned every <see cref="Interval"/> on the node's clock, and at once when a FileSystemWatcher
/// sees a change; the setting is read at every scan, so changing it takes effect without a restart.
/// </summary>
public sealed partial class WatchFolder(TransferManager transfers, Func<NodeSettings> settings, TimeProvider time, ILogger<WatchFolder> logger, bool runs = true)
    : IHostedService, IAsyncDisposable
{
    public const string AddedFolder = "added";
    public const string FailedFolder = "failed";

    /// <summary>How often the folder is scanned.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    /// <summary>How long a file's size and time must stay the same before it is taken.</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);

    // Bounds on one scan, so a folder flooded with files costs a bounded amount of work per round.
    private const int MaxFilesPerScan = 64;
    private const int MaxTracked = 4096;

    private readonly Dictionary<string, (long Length, DateTime Modified, long SeenAt)> _seen = new(StringComparer.Ordinal);
    private readonly HashSet<(string Path, long Length, DateTime Modified)> _stuck = [];
    private readonly SemaphoreSlim _scanning = new(1, 1);
    private ITimer? _timer;
    private ITimer? _soon;
    private FileSystemWatcher? _watcher;
    private string _watched = string.Empty;
    private string? _lastProblem;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (runs)
        {
            _timer = time.CreateTimer(static state => ((WatchFolder)state!).Kick(), this, TimeSpan.Zero, Interval);
            _soon = time.CreateTimer(static state => ((WatchFolder)state!).Kick(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        foreach (var timer in new[] { Interlocked.Exchange(ref _timer, null), Interlocked.Exchange(ref _soon, null) })
        {
            if (timer is not null)
            {
                await timer.DisposeAsync();
            }
        }

        // Wait for a scan under way to end, then drop the watcher.
        await _scanning.WaitAsync();
        try
        {
            _watcher?.Dispose();
            _watcher = null;
        }
        finally
        {
            _scanning.Release();
        }
    }

    /// <summary>Scans now unless a scan is under way (the timer, the watcher and the settle timer all come here).</summary>
    private void Kick() => _ = ScanQuietlyAsync();

    private async Task ScanQuietlyAsync()
    {
        if (!await _scanning.WaitAsync(0))
        {
            return;
        }

        try
        {
            if (_timer is not null)
            {
                await ScanAsync(CancellationToken.None);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Problem($"The watch folder could not be scanned: {ex.Message}");
        }
        finally
        {
            _scanning.Release();
        }
    }

    /// <summary>One scan: takes the files that settled, adds them and moves them aside.</summary>
    internal async Task ScanAsync(CancellationToken cancellationToken)
    {
        var folder = settings().WatchDirectory;
        Watch(folder);
        if (folder.Length == 0)
        {
            _seen.Clear();
            return;
        }

        string[] candidates;
        try
        {
            if (!Directory.Exists(folder))
            {
                Problem($"The watch folder {folder} does not exist; create it, or change watch_dir (empty turns it off).");
                return;
            }

            candidates = [.. Directory.EnumerateFiles(folder).Where(IsCandidate).Order(StringComparer.Ordinal).Take(MaxTracked)];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Problem($"The watch folder {folder} cannot be read ({ex.Message.TrimEnd('.')}); check its permissions, or change watch_dir.");
            return;
        }

        Recovered(folder);
        foreach (var gone in _seen.Keys.Except(candidates, StringComparer.Ordinal).ToList())
        {
            _seen.Remove(gone);
        }

        var taken = 0;
        var unsettled = false;
        foreach (var path in candidates)
        {
            if (taken >= MaxFilesPerScan)
            {
                unsettled = true;
                break;
            }

            FileInfo info;
            try
            {
                info = new FileInfo(path);
                if (!info.Exists)
                {
                    continue;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            if (_stuck.Contains((path, info.Length, info.LastWriteTimeUtc)))
            {
                continue;
            }

            var now = time.GetTimestamp();
            if (!_seen.TryGetValue(path, out var seen) || seen.Length != info.Length || seen.Modified != info.LastWriteTimeUtc)
            {
                // First sight, or still changing: look again once it has had time to settle.
                _seen[path] = (info.Length, info.LastWriteTimeUtc, now);
                unsettled = true;
                continue;
            }

            if (time.GetElapsedTime(seen.SeenAt, now) < Settle)
            {
                unsettled = true;
                continue;
            }

            _seen.Remove(path);
            taken++;
            await TakeAsync(folder, path, cancellationToken);
        }

        if (unsettled)
        {
            _soon?.Change(Settle, Timeout.InfiniteTimeSpan);
        }
    }

    private async Task TakeAsync(string folder, string path, CancellationToken cancellationToken)
    {
        var name = Path.GetFileName(path);
        try
        {
            var (transfer, _) = await transfers.AddAsync(new TransferRequest(path, null, [], TimeSpan.FromSeconds(2)), cancellationToken);
            var moved = MoveAside(folder, AddedFolder, path);
            LogAdded(logger, name, transfer.Name ?? transfer.Key.Hash, transfer.Key, moved ?? path);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException and not OperationCanceledException)
        {
            var sentence = ex.Message;
            var moved = MoveAside(folder, FailedFolder, path);
            if (moved is not null)
            {
                try
                {
                    File.WriteAllText(moved + ".error.txt", sentence + Environment.NewLine);
                }
                catch (Exception writeError) when (writeError is IOException or UnauthorizedAccessException)
                {
                    LogMoveFailed(logger, moved + ".error.txt", writeError.Message);
                }
            }

            LogFailed(logger, name, sentence, moved ?? path);
        }
    }

    // Moves the file into folder/sub under its name, or "name (1).ext" and so on when that is taken; null when it cannot.
    private string? MoveAside(string folder, string sub, string path)
    {
        try
        {
            var target = Path.Combine(folder, sub);
            Directory.CreateDirectory(target);
            var name = Path.GetFileName(path);
            var stem = Path.GetFileNameWithoutExtension(name);
            var extension = Path.GetExtension(name);
            for (var n = 0; n < 10_000; n++)
            {
                var candidate = Path.Combine(target, n == 0 ? name : $"{stem} ({n}){extension}");
                if (Path.Exists(candidate) || Path.Exists(candidate + ".error.txt"))
                {
                    continue;
                }

                try
                {
                    NoClobberRename.Move(path, candidate);
                    return candidate;
                }
                catch (IOException) when (Path.Exists(candidate))
                {
                    // Taken between the check and the rename: try the next name.
                }
            }

            throw new IOException($"No free name for {name} in {target}.");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left in place: remembered as handled, so it is not added again at every scan.
            LogMoveFailed(logger, path, ex.Message);
            if (_stuck.Count >= MaxTracked)
            {
                _stuck.Clear();
            }

            var info = new FileInfo(path);
            _stuck.Add((path, info.Exists ? info.Length : -1, info.Exists ? info.LastWriteTimeUtc : DateTime.MinValue));
            return null;
        }
    }

    private static bool IsCandidate(string path)
    {
        var name = Path.GetFileName(path);
        return !name.StartsWith('.')
            && (name.EndsWith(".torrent", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".smartshare", StringComparison.OrdinalIgnoreCase));
    }

    // Keeps a FileSystemWatcher on the folder for prompt scans; the timer scans anyway, so a watcher that cannot be made is no loss.
    private void Watch(string folder)
    {
        if (folder == _watched && (_watcher is not null || folder.Length == 0))
        {
            return;
        }

        _watcher?.Dispose();
        _watcher = null;
        _watched = folder;
        if (folder.Length == 0 || !Directory.Exists(folder))
        {
            return;
        }

        try
        {
            var watcher = new FileSystemWatcher(folder) { IncludeSubdirectories = false, NotifyFilter = NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.LastWrite };
            watcher.Created += (_, _) => Kick();
            watcher.Changed += (_, _) => Kick();
            watcher.Renamed += (_, _) => Kick();
            watcher.EnableRaisingEvents = true;
            _watcher = watcher;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or PlatformNotSupportedException)
        {
            LogNoWatcher(logger, folder, ex.Message);
        }
    }

    // Each problem is logged once, not at every scan; its end is logged too.
    private void Problem(string sentence)
    {
        if (sentence != _lastProblem)
        {
            _lastProblem = sentence;
            LogProblem(logger, sentence);
        }
    }

    private void Recovered(string folder)
    {
        if (_lastProblem is not null)
        {
            _lastProblem = null;
            LogWatching(logger, folder);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Watch folder: added {File} as {Name} ({Key}); moved to {MovedTo}.")]
    private static partial void LogAdded(ILogger logger, string file, string name, TransferKey key, string movedTo);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Watch folder: {File} could not be added: {Reason} (moved to {MovedTo}).")]
    private static partial void LogFailed(ILogger logger, string file, string reason, string movedTo);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Watch folder: {Path} could not be moved aside ({Reason}); it is left where it is and not taken again.")]
    private static partial void LogMoveFailed(ILogger logger, string path, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Sentence}")]
    private static partial void LogProblem(ILogger logger, string sentence);

    [LoggerMessage(Level = LogLevel.Information, Message = "Watch folder {Folder} is readable again; watching it.")]
    private static partial void LogWatching(ILogger logger, string folder);

    [LoggerMessage(Level = LogLevel.Information, Message = "Watch folder {Folder}: no change notifications ({Reason}); it is scanned every 2 s instead.")]
    private static partial void LogNoWatcher(ILogger logger, string folder, string reason);
}
