using Microsoft.Extensions.Logging;

namespace SmartShare.Node.Transfers.Queueing;

/// <summary>The queue's periodic work: recovering waiting transfers a kill left running, the seed limit, the seeding goals, filling slots.</summary>
public sealed partial class TransferScheduler
{
    private void OnTimer()
    {
        if (Interlocked.Exchange(ref _ticking, 1) == 0)
        {
            _tick = RunTickAsync();
        }
    }

    private async Task RunTickAsync()
    {
        try
        {
            await TickAsync();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The next tick tries again; a database or network hiccup must not end the queue.
            LogTickFailed(_logger, ex.Message);
        }
        finally
        {
            Volatile.Write(ref _ticking, 0);
        }
    }

    /// <summary>One round: what the timer runs every <see cref="Interval"/> (tests call it after advancing a fake clock).</summary>
    internal async Task TickAsync()
    {
        if (!_runs || _manager is null)
        {
            return;
        }

        var stamp = _time.GetTimestamp();
        var elapsed = _lastTick == 0 ? TimeSpan.Zero : _time.GetElapsedTime(_lastTick, stamp);
        _lastTick = stamp;
        var now = _time.GetUtcNow();
        var queueStops = new List<TransferKey>();
        var goalsMet = new List<(TransferStatus Transfer, SeedingGoalAction Action, string Reason)>();
        _seeded.Clear();
        lock (_lock)
        {
            // Statuses, not views: this runs every 2 s over every transfer, and 6,000 views took most of an idle node's CPU.
            var transfers = ReadStatuses();
            var entries = _entries;
            _schedule.CopyOrdered(entries);
            ForgetRemoved(entries);
            foreach (var entry in entries)
            {
                if (entry.Waiting && !_stopping.Contains(entry.Key) && _indexes.TryGetValue(entry.Key, out var index) && IsRunning(transfers[index].State))
                {
                    if (_recovered)
                    {
                        // Started outside the queue (a /stream read, a get of it): it runs now.
                        _schedule.Update(entry.Key, e => e with { Waiting = false });
                    }
                    else
                    {
                        // Marked waiting, but the node was killed before its stop was recorded: stop it again.
                        _stopping.Add(entry.Key);
                        queueStops.Add(entry.Key);
                    }
                }
            }

            _recovered = true;
            QueueExcessSeeds(transfers, queueStops);
            var node = NodeGoals();
            EnsureOldestFirst(transfers.Where(transfer => IsSeedingTorrent(transfer) && !Held(transfer.Key)));
            foreach (var transfer in transfers)
            {
                if (!IsSeedingTorrent(transfer) || Held(transfer.Key))
                {
                    _seeds.Remove(transfer.Key);
                    continue;
                }

                var entry = _schedule.Ensure(transfer.Key);
                var seedingFor = _schedule.SeedingTime(transfer.Key);
                if (!_seeds.TryGetValue(transfer.Key, out var watch))
                {
                    _seeds[transfer.Key] = watch = new SeedWatch { Uploaded = transfer.Uploaded, LastActivity = now };
                }
                else
                {
                    if (transfer.Uploaded > watch.Uploaded)
                    {
                        watch.Uploaded = transfer.Uploaded;
                        watch.LastActivity = now;
                    }

                    _seeded.Add(transfer.Key);
                    seedingFor += elapsed;
                }

                var goals = GoalsOf(transfer.Key, transfer.Direction, entry, node);
                if (goals.Any && goals.Met(transfer.Ratio, seedingFor, now - watch.LastActivity) is { } met)
                {
                    goalsMet.Add((transfer, goals.Action, GoalMet(transfer.Key, goals.Action, met.Kind, met.Reason)));
                }
            }
        }

        var persist = _lastSeedingSave == 0 || _time.GetElapsedTime(_lastSeedingSave, stamp) >= SeedingSaveInterval;
        _schedule.AddSeeding(_seeded, (long)elapsed.TotalMilliseconds, persist);
        if (persist)
        {
            _lastSeedingSave = stamp;
        }

        foreach (var key in queueStops)
        {
            await StopForQueueAsync(key);
        }

        foreach (var (transfer, action, reason) in goalsMet.OrderBy(met => met.Transfer, ByAdded))
        {
            await ActOnGoalAsync(transfer, action, reason);
        }

        Fill();
    }

    private async Task ActOnGoalAsync(TransferStatus transfer, SeedingGoalAction action, string reason)
    {
        var name = transfer.Name ?? transfer.Key.Hash;
        try
        {
            if (action == SeedingGoalAction.Remove)
            {
                // Never the files: a goal ends the seeding, not the user's copy.
                await Manager.RemoveAsync(transfer.Key, deleteData: false, CancellationToken.None);
                LogGoalRemoved(_logger, name, transfer.Key, reason);
            }
            else
            {
                await Manager.Network(transfer.Key).StopAsync(transfer.Key, CancellationToken.None);
                LogGoalStopped(_logger, name, transfer.Key, reason);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogStopFailed(_logger, transfer.Key, ex.Message);
        }
        finally
        {
            lock (_lock)
            {
                _stopping.Remove(transfer.Key);
            }
        }
    }

    // Past max_active_seeds, the seeds last in the queue wait (a download that just completed among them).
    private void QueueExcessSeeds(IReadOnlyList<TransferStatus> transfers, List<TransferKey> queueStops)
    {
        var limit = _settings().MaxActiveSeeds;
        if (limit == 0)
        {
            return;
        }

        // Those with no place yet (just seen) are last, oldest first.
        var seeding = transfers.Where(t => IsActiveSeed(t) && !Held(t.Key)).OrderBy(t => _schedule.Position(t.Key) ?? int.MaxValue).ThenBy(t => t, ByAdded).ToList();
        foreach (var transfer in seeding.Skip(limit))
        {
            _schedule.Update(transfer.Key, e => e with { Waiting = true });
            _stopping.Add(transfer.Key);
            queueStops.Add(transfer.Key);
            LogQueued(_logger, transfer.Name ?? transfer.Key.Hash, transfer.Key, "seed", seeding.Count - 1, limit);
        }
    }

    // A met goal, under _lock: the torrent is to stop (with the reason in its entry) or leave the list.
    private string GoalMet(TransferKey key, SeedingGoalAction action, string kind, string reason)
    {
        if (action == SeedingGoalAction.Stop)
        {
            _schedule.Update(key, e => e with { StopReason = reason, StopGoal = kind });
        }

        _stopping.Add(key);
        _seeds.Remove(key);
        return reason;
    }

    private static bool IsSeedingTorrent(TransferStatus transfer) => transfer.Key.Network == TransferNetwork.Torrent && transfer.State == TransferState.Seeding;

    // Transfers first seen get their place oldest first, as List orders them (the statuses come in no order).
    private void EnsureOldestFirst(IEnumerable<TransferStatus> transfers)
    {
        var fresh = transfers.Where(transfer => _schedule.Find(transfer.Key) is null).ToList();
        fresh.Sort(TransferStatus.CompareByAdded);
        foreach (var transfer in fresh)
        {
            _schedule.Ensure(transfer.Key);
        }
    }

    // An entry whose transfer was not listed at two ticks in a row belongs to a transfer removed some other way.
    private void ForgetRemoved(IReadOnlyList<ScheduleEntry> entries)
    {
        foreach (var entry in entries)
        {
            if (_indexes.ContainsKey(entry.Key))
            {
                _missing.Remove(entry.Key);
            }
            else if (!_missing.Add(entry.Key))
            {
                _missing.Remove(entry.Key);
                _schedule.Remove(entry.Key);
            }
        }
    }

    private static readonly IComparer<TransferStatus> ByAdded = Comparer<TransferStatus>.Create(TransferStatus.CompareByAdded);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Name} ({Key}) is queued to {Kind}: {Running} of at most {Limit} run.")]
    private static partial void LogQueued(ILogger logger, string name, TransferKey key, string kind, int running, int limit);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Name} ({Key}) leaves the queue and starts to {Kind}.")]
    private static partial void LogStartedFromQueue(ILogger logger, string name, TransferKey key, string kind);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Name} ({Key}) could not be started from the queue: {Reason}")]
    private static partial void LogStartFailed(ILogger logger, string name, TransferKey key, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Key} could not be stopped for the queue or a seeding goal: {Reason}")]
    private static partial void LogStopFailed(ILogger logger, TransferKey key, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Name} ({Key}) stopped seeding: {Reason}.")]
    private static partial void LogGoalStopped(ILogger logger, string name, TransferKey key, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Name} ({Key}) removed from the list (its files are kept): {Reason}.")]
    private static partial void LogGoalRemoved(ILogger logger, string name, TransferKey key, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Name} ({Key}) started by hand after its {Goal} goal was met: that goal is lifted for it (set it again with transfer_set_goals).")]
    private static partial void LogGoalLifted(ILogger logger, string name, TransferKey key, string goal);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The transfer queue's round failed (it runs again shortly): {Reason}")]
    private static partial void LogTickFailed(ILogger logger, string reason);
}
