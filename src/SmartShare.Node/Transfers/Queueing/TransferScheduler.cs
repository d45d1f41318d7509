using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SmartShare.Node.Settings;

namespace SmartShare.Node.Transfers.Queueing;

/// <summary>
/// Queues and seeding goals over the <see cref="TransferManager"/>: at most <c>max_active_downloads</c> downloads
/// (metadata and descriptor fetches included) and <c>max_active_seeds</c> downloaded torrents seeding run at once; the
/// rest wait, stopped, in queue order and start as slots free (Transmission's rules: lowering a limit does not stop
/// downloads already running). Shares are never queued. A seeding torrent whose ratio, seeding time or idle time goal
/// is met stops (or leaves the list) with the reason in its view. A transfer that waits is stopped in its network, so
/// the next start resumes exactly the running set. Decisions are taken under one lock; stopping happens after it.
/// </summary>
public sealed partial class TransferScheduler : IHostedService, IAsyncDisposable
{
    /// <summary>How often slots are filled and goals checked.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    /// <summary>How often the seeding time counted each tick is written to the table (and when the scheduler stops).</summary>
    public static readonly TimeSpan SeedingSaveInterval = TimeSpan.FromSeconds(30);

    private readonly TransferSchedule _schedule;
    private readonly Func<NodeSettings> _settings;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly bool _runs;
    private readonly Lock _lock = new();
    private readonly HashSet<TransferKey> _stopping = [];
    private readonly Dictionary<TransferKey, SeedWatch> _seeds = [];
    private readonly HashSet<TransferKey> _missing = [];

    // Every transfer's status and its index there, read again (into the same storage) by each decision under _lock.
    private readonly List<TransferStatus> _statuses = [];
    private readonly Dictionary<TransferKey, int> _indexes = [];
    private readonly List<ScheduleEntry> _entries = []; // the schedule's entries, as the round read them
    private readonly List<TransferKey> _seeded = []; // the round's torrents that seeded since the last; only the round uses it
    private TransferManager? _manager;
    private GoalsOfNode? _nodeGoals;
    private ITimer? _timer;
    private Task _tick = Task.CompletedTask;
    private int _ticking;
    private bool _recovered;
    private long _lastTick;
    private long _lastSeedingSave;

    /// <param name="runs">False in a node run for one CLI command: it shows the queue but starts and stops nothing.</param>
    public TransferScheduler(TransferSchedule schedule, Func<NodeSettings> settings, TimeProvider time, ILogger<TransferScheduler> logger, bool runs = true)
    {
        _schedule = schedule;
        _settings = settings;
        _time = time;
        _logger = logger;
        _runs = runs;
    }

    public TransferSchedule Schedule => _schedule;

    private TransferManager Manager => _manager ?? throw new InvalidOperationException("The queue is not attached to a transfer manager.");

    internal void Attach(TransferManager manager) => _manager = manager;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_runs)
        {
            _timer = _time.CreateTimer(static state => ((TransferScheduler)state!).OnTimer(), this, Interval, Interval);
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _timer, null) is { } timer)
        {
            await timer.DisposeAsync();
        }

        await _tick;
        try
        {
            _schedule.AddSeeding([], 0, persist: true);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogTickFailed(_logger, ex.Message);
        }
    }

    /// <summary>The transfer as the queue shows it: Queued while it waits, Completed once a goal stopped it, with its place and goals.</summary>
    internal Transfer Decorate(Transfer transfer)
    {
        var (state, row) = Overlay(transfer.Key, transfer.Direction, transfer.State, transfer.CompletedAt is not null);
        return transfer with
        {
            State = state,
            Scheduling = new TransferScheduling(row.QueuePosition, row.Waiting, row.Goals, _schedule.SeedingTime(transfer.Key), row.StopReason),
        };
    }

    /// <summary>What <see cref="Decorate"/> makes of a transfer's view, on its row (no seeding clock: rows do not show it).</summary>
    internal TransferRow DecorateRow(in TransferRow row)
    {
        var (state, scheduling) = Overlay(row.Key, row.Direction, row.State, row.EverCompleted);
        return row with { State = state, Queue = scheduling };
    }

    // The state the queue shows (waiting: queued; stopped by a goal: completed) and what it says about the transfer.
    private (TransferState State, RowScheduling Scheduling) Overlay(TransferKey key, TransferDirection direction, TransferState state, bool everCompleted)
    {
        var entry = _schedule.Ensure(key);
        string? waiting = null;
        if (entry.Waiting && !IsRunning(state))
        {
            state = TransferState.Queued;
            waiting = everCompleted ? "seed" : "download";
        }
        else if (entry.StopReason is not null && state == TransferState.Stopped)
        {
            state = TransferState.Completed;
        }

        return (state, new RowScheduling(_schedule.Position(key) ?? 0, waiting, GoalsOf(key, direction, entry, NodeGoals()), entry.StopReason));
    }

    /// <summary>
    /// The goals in force for a transfer: its own, else the node's (<paramref name="node"/>, from
    /// <see cref="NodeGoals"/>) for a downloaded torrent; none for a stream (its blobs are served while it is listed).
    /// </summary>
    private static SeedingGoals GoalsOf(TransferKey key, TransferDirection direction, ScheduleEntry entry, GoalsOfNode node)
    {
        if (key.Network != TransferNetwork.Torrent)
        {
            return SeedingGoals.Unlimited;
        }

        var download = direction == TransferDirection.Download;
        // No goal of its own: what Resolve gives, made once per setting rather than once per transfer and round.
        return entry.Goals.IsEmpty ? download ? node.Downloads : node.Shares : SeedingGoals.Resolve(entry.Goals, node.Downloads, download);
    }

    /// <summary>The node's seeding goals as its settings are now (made again only when the settings changed: a list of thousands asks for each).</summary>
    private GoalsOfNode NodeGoals()
    {
        var settings = _settings();
        if (_nodeGoals is { } known && ReferenceEquals(known.Settings, settings))
        {
            return known;
        }

        var downloads = new SeedingGoals(
            settings.SeedRatioLimit, settings.SeedTimeLimitMinutes, settings.SeedIdleLimitMinutes, SeedingGoals.ParseAction(settings.SeedGoalAction), false, false, false, false);
        var goals = new GoalsOfNode(settings, downloads, SeedingGoals.Resolve(SeedingGoalOverrides.None, downloads, globalApplies: false));
        _nodeGoals = goals;
        return goals;
    }

    /// <summary>After a <c>get</c> added (or found) a transfer: past the download limit it waits, stopped, for a slot.</summary>
    internal async Task AdmitAsync(TransferKey key)
    {
        lock (_lock)
        {
            if (!_runs || Manager.Network(key).Find(key) is not { } transfer)
            {
                return;
            }

            var entry = _schedule.Ensure(key);
            if (transfer.Direction == TransferDirection.Share || !IsActiveDownload(TransferStatus.Of(transfer)))
            {
                return;
            }

            var limit = _settings().MaxActiveDownloads;
            var others = ReadStatuses().Count(other => other.Key != key && IsActiveDownload(other) && !Held(other.Key));
            if (limit == 0 || others < limit)
            {
                if (entry.Waiting)
                {
                    _schedule.Update(key, e => e with { Waiting = false });
                }

                return;
            }

            _schedule.Update(key, e => e with { Waiting = true });
            _stopping.Add(key);
            LogQueued(_logger, transfer.Name ?? key.Hash, key, "download", others, limit);
        }

        await StopForQueueAsync(key);
    }

    /// <summary>
    /// Starts a transfer, or queues it when its kind of slot (download, or seed for a completed torrent) is full;
    /// <paramref name="now"/> skips the queue (Transmission's torrent-start-now). A torrent a goal stopped has that
    /// goal lifted (set to no limit for it), as Transmission does, or it would stop again at once.
    /// </summary>
    internal bool Start(TransferKey key, bool now)
    {
        var network = Manager.Network(key);
        if (!_runs)
        {
            return network.Start(key);
        }

        lock (_lock)
        {
            if (network.Find(key) is not { } transfer)
            {
                return false;
            }

            var entry = _schedule.Ensure(key);
            if (entry.StopReason is not null)
            {
                var lifted = entry.StopGoal;
                entry = _schedule.Update(key, e => e with { StopReason = null, StopGoal = null, Goals = Lift(e.Goals, lifted) });
                LogGoalLifted(_logger, transfer.Name ?? key.Hash, key, lifted ?? "goal");
            }

            if (!now && transfer.Direction == TransferDirection.Download && !IsRunning(transfer.State))
            {
                var seed = transfer.CompletedAt is not null;
                var settings = _settings();
                var limit = seed ? (key.Network == TransferNetwork.Torrent ? settings.MaxActiveSeeds : 0) : settings.MaxActiveDownloads;
                var count = ReadStatuses().Count(other => other.Key != key && !Held(other.Key) && (seed ? IsActiveSeed(other) : IsActiveDownload(other)));
                if (limit > 0 && count >= limit)
                {
                    _schedule.Update(key, e => e with { Waiting = true });
                    LogQueued(_logger, transfer.Name ?? key.Hash, key, seed ? "seed" : "download", count, limit);
                    return true;
                }
            }

            if (entry.Waiting)
            {
                _schedule.Update(key, e => e with { Waiting = false });
            }

            return network.Start(key);
        }
    }

    /// <summary>A stop asked by the user: the transfer leaves the waiting line too, and its slot goes to the next.</summary>
    internal async Task<bool> StopAsync(TransferKey key, CancellationToken cancellationToken)
    {
        if (_runs && _schedule.Find(key) is { Waiting: true })
        {
            lock (_lock)
            {
                _schedule.Update(key, e => e with { Waiting = false });
            }
        }

        var stopped = await Manager.Network(key).StopAsync(key, cancellationToken);
        Fill();
        return stopped;
    }

    /// <summary>A removed transfer leaves the queue; the ones behind it move up and a freed slot is filled.</summary>
    internal void Removed(TransferKey key)
    {
        _schedule.Remove(key);
        lock (_lock)
        {
            _seeds.Remove(key);
        }

        Fill();
    }

    /// <summary>Moves a transfer in the queue; returns its new position.</summary>
    public int Move(TransferKey key, QueueMove move)
    {
        var current = _schedule.Position(key) ?? _schedule.Count;
        var target = move.Kind switch
        {
            QueueMoveKind.Top => 0,
            QueueMoveKind.Up => current - 1,
            QueueMoveKind.Down => current + 1,
            QueueMoveKind.Bottom => int.MaxValue,
            _ => move.Position,
        };
        var position = _schedule.Move(key, target);
        Fill();
        return position;
    }

    /// <summary>Sets a transfer's own seeding goals (null: the node's setting; 0: none for it).</summary>
    public void SetGoals(TransferKey key, SeedingGoalOverrides goals)
    {
        ArgumentNullException.ThrowIfNull(goals);
        _schedule.Update(key, e => e with { Goals = goals });
    }

    /// <summary>Starts waiting transfers, in queue order, while their kind of slot has room.</summary>
    internal void Fill()
    {
        if (!_runs || _manager is null)
        {
            return;
        }

        lock (_lock)
        {
            if (!_schedule.AnyWaiting)
            {
                // Nothing waits (a node that seeds everything, say): nothing to start, and no transfer to read.
                return;
            }

            var settings = _settings();
            var transfers = ReadStatuses();
            var downloads = settings.MaxActiveDownloads == 0 ? int.MaxValue : settings.MaxActiveDownloads - transfers.Count(t => IsActiveDownload(t) && !Held(t.Key));
            var seeds = settings.MaxActiveSeeds == 0 ? int.MaxValue : settings.MaxActiveSeeds - transfers.Count(t => IsActiveSeed(t) && !Held(t.Key));
            foreach (var entry in _schedule.Ordered())
            {
                if (!entry.Waiting || _stopping.Contains(entry.Key) || !_indexes.TryGetValue(entry.Key, out var index))
                {
                    continue;
                }

                var transfer = transfers[index];
                if (IsRunning(transfer.State))
                {
                    continue;
                }

                var seed = transfer.EverCompleted;
                if ((seed ? seeds : downloads) <= 0)
                {
                    continue;
                }

                _ = seed ? seeds-- : downloads--;
                _schedule.Update(entry.Key, e => e with { Waiting = false });
                try
                {
                    Manager.Network(entry.Key).Start(entry.Key);
                    LogStartedFromQueue(_logger, transfer.Name ?? entry.Key.Hash, entry.Key, seed ? "seed" : "download");
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    LogStartFailed(_logger, transfer.Name ?? entry.Key.Hash, entry.Key, ex.Message);
                }
            }
        }
    }

    private static SeedingGoalOverrides Lift(SeedingGoalOverrides goals, string? kind) => kind switch
    {
        "ratio" => goals with { Ratio = 0 },
        "time" => goals with { TimeMinutes = 0 },
        "idle" => goals with { IdleMinutes = 0 },
        _ => goals,
    };

    // Running in its network (a stream's own "queued" is a started download waiting for its first step).
    internal static bool IsRunning(TransferState state) =>
        state is TransferState.Queued or TransferState.Checking or TransferState.FetchingMetadata or TransferState.Downloading or TransferState.Seeding;

    // Completed once (EverCompleted): resuming it seeds (after a check), it does not download.
    internal static bool IsActiveDownload(TransferStatus transfer) =>
        transfer.Direction == TransferDirection.Download && !transfer.EverCompleted && IsRunning(transfer.State) && transfer.State != TransferState.Seeding;

    // Shares are never counted or queued: the user's own content seeds whatever the downloads do.
    internal static bool IsActiveSeed(TransferStatus transfer) =>
        transfer.Key.Network == TransferNetwork.Torrent && transfer.Direction == TransferDirection.Download && transfer.EverCompleted
        && transfer.State is TransferState.Seeding or TransferState.Checking;

    // Every transfer's status, with _indexes to find one by key; under _lock, until the next read.
    private List<TransferStatus> ReadStatuses()
    {
        Manager.ReadStatuses(_statuses);
        _indexes.Clear();
        for (var i = 0; i < _statuses.Count; i++)
        {
            _indexes[_statuses[i].Key] = i;
        }

        return _statuses;
    }

    // Waiting, or being stopped to wait: not counted as running.
    private bool Held(TransferKey key) => _stopping.Contains(key) || _schedule.Find(key) is { Waiting: true };

    private async Task StopForQueueAsync(TransferKey key)
    {
        try
        {
            await Manager.Network(key).StopAsync(key, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogStopFailed(_logger, key, ex.Message);
        }
        finally
        {
            lock (_lock)
            {
                _stopping.Remove(key);
            }
        }
    }

    // The node's goals for downloaded torrents and for shares (which follow only goals of their own), for one settings object.
    private sealed record GoalsOfNode(NodeSettings Settings, SeedingGoals Downloads, SeedingGoals Shares);

    private sealed class SeedWatch
    {
        public long Uploaded { get; set; }

        public DateTimeOffset LastActivity { get; set; }
    }
}
