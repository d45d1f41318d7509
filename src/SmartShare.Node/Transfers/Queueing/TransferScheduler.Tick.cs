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
        var goalsMet = new List<(Transfer Transfer, SeedingGoalAction Action, string Reason)>();
        var seeded = new List<(TransferKey Key, long Milliseconds)>();
        lock (_lock)
        {
            var transfers = Manager.ListUnscheduled();
            var byKey = transfers.ToDictionary(transfer => transfer.Key);
            ForgetRemoved(byKey);
            foreach (var entry in _schedule.Ordered())
            {
                if (entry.Waiting && !_stopping.Contains(entry.Key) && byKey.TryGetValue(entry.Key, out var running) && IsRunning(running.State))
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
            foreach (var transfer in transfers)
            {
                if (transfer.Key.Network != TransferNetwork.Torrent || transfer.State != TransferState.Seeding || Held(transfer.Key))
                {
                    _seeds.Remove(transfer.Key);
                    continue;
                }

                var entry = _schedule.Ensure(transfer.Key);
                var seedingFor = TimeSpan.FromMilliseconds(entry.SeedingMilliseconds);
                if (!_seeds.TryGetValue(transfer.Key, out var watch))
                {
                    _seeds[transfer.Key] = watch = new SeedWatch { Uploaded = transfer.Progress.Uploaded, LastActivity = now };
                }
                else
                {
                    if (transfer.Progress.Uploaded > watch.Uploaded)
                    {
                        watch.Uploaded = transfer.Progress.Uploaded;
                        watch.LastActivity = now;
                    }

                    seeded.Add((transfer.Key, (long)elapsed.TotalMilliseconds));
                    seedingFor += elapsed;
                }

                var goals = GoalsOf(transfer, entry);
                if (goals.Met(transfer.Progress.Ratio, seedingFor, now - watch.LastActivity) is var (kind, reason))
                {
                    if (goals.Action == SeedingGoalAction.Stop)
                    {
                        _schedule.Update(transfer.Key, e => e with { StopReason = reason, StopGoal = kind });
                    }

                    _stopping.Add(transfer.Key);
                    _seeds.Remove(transfer.Key);
                    goalsMet.Add((transfer, goals.Action, reason));
                }
            }
        }

        var persist = _lastSeedingSave == 0 || _time.GetElapsedTime(_lastSeedingSave, stamp) >= SeedingSaveInterval;
        _schedule.AddSeeding(seeded, persist);
        if (persist)
        {
            _lastSeedingSave = stamp;
        }

        foreach (var key in queueStops)
        {
            await StopForQueueAsync(key);
        }

        foreach (var (transfer, action, reason) in goalsMet)
        {
            await ActOnGoalAsync(transfer, action, reason);
        }

        Fill();
    }

    private async Task ActOnGoalAsync(Transfer transfer, SeedingGoalAction action, string reason)
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
    private void QueueExcessSeeds(IReadOnlyList<Transfer> transfers, List<TransferKey> queueStops)
    {
        var limit = _settings().MaxActiveSeeds;
        if (limit == 0)
        {
            return;
        }

        var seeding = transfers.Where(t => IsActiveSeed(t) && !Held(t.Key)).OrderBy(t => _schedule.Position(t.Key) ?? int.MaxValue).ToList();
        foreach (var transfer in seeding.Skip(limit))
        {
            _schedule.Update(transfer.Key, e => e with { Waiting = true });
            _stopping.Add(transfer.Key);
            queueStops.Add(transfer.Key);
            LogQueued(_logger, transfer.Name ?? transfer.Key.Hash, transfer.Key, "seed", seeding.Count - 1, limit);
        }
    }

    // An entry whose transfer was not listed at two ticks in a row belongs to a transfer removed some other way.
    private void ForgetRemoved(Dictionary<TransferKey, Transfer> listed)
    {
        foreach (var entry in _schedule.Ordered())
        {
            if (listed.ContainsKey(entry.Key))
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
