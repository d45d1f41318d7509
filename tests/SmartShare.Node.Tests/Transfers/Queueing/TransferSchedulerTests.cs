using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SmartShare.Node.Settings;
using SmartShare.Node.Transfers;
using SmartShare.Node.Transfers.Queueing;

namespace SmartShare.Node.Tests.Transfers.Queueing;

/// <summary>The queue's rules over a network in memory, on a fake clock: slots, order, moves, and the seeding time and idle goals.</summary>
public sealed class TransferSchedulerTests : IDisposable
{
    private readonly NodeTestDirectory _directory = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 5, 8, 0, 0, TimeSpan.Zero));
    private readonly FakeTransferNetwork _network;
    private NodeSettings _settings = new() { MaxActiveDownloads = 2 };

    public TransferSchedulerTests() => _network = new FakeTransferNetwork(_time);

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Downloads_past_the_limit_wait_in_order_and_start_as_slots_free()
    {
        var (manager, scheduler) = Open();
        for (var n = 1; n <= 5; n++)
        {
            await manager.AddAsync(new TransferRequest($"{n}", null, [], TimeSpan.Zero), CancellationToken.None);
        }

        Assert.Equal(["downloading", "downloading", "queued", "queued", "queued"], States(manager));
        Assert.Equal([0, 1, 2, 3, 4], manager.List().Select(t => t.Scheduling!.QueuePosition));
        Assert.Equal("download", manager.List()[2].Scheduling!.Waiting);

        // t5 to the top: it starts before t3 and t4 when a slot frees.
        scheduler.Move(FakeTransferNetwork.KeyOf(5), new QueueMove(QueueMoveKind.Top));
        _network.Complete(FakeTransferNetwork.KeyOf(1));
        await TickAsync(scheduler);

        Assert.Equal(["seeding", "downloading", "queued", "queued", "downloading"], States(manager));
        Assert.Equal(0, manager.Find(FakeTransferNetwork.KeyOf(5))!.Scheduling!.QueuePosition);

        // A stop by hand frees its slot at once; a queued transfer stopped by hand leaves the line.
        await manager.StopAsync(FakeTransferNetwork.KeyOf(2), CancellationToken.None);
        Assert.Equal(["seeding", "stopped", "downloading", "queued", "downloading"], States(manager));
        await manager.StopAsync(FakeTransferNetwork.KeyOf(4), CancellationToken.None);
        Assert.Equal("stopped", TransferView.StateName(manager.Find(FakeTransferNetwork.KeyOf(4))!.State));

        // Starting by hand while both slots are taken queues it; removing a running one lets it in.
        Assert.True(manager.Start(FakeTransferNetwork.KeyOf(2)));
        Assert.Equal("queued", TransferView.StateName(manager.Find(FakeTransferNetwork.KeyOf(2))!.State));
        await manager.RemoveAsync(FakeTransferNetwork.KeyOf(3), deleteData: false, CancellationToken.None);
        Assert.Equal(["seeding", "downloading", "stopped", "downloading"], States(manager));
        Assert.Equal([0, 1, 2, 3], manager.List().Select(t => scheduler.Schedule.Position(t.Key)!.Value).Order());
    }

    [Fact]
    public async Task A_page_of_the_list_builds_the_same_transfers_as_the_whole_list_with_their_queue_positions()
    {
        var (manager, scheduler) = Open();
        for (var n = 1; n <= 5; n++)
        {
            await manager.AddAsync(new TransferRequest($"{n}", null, [], TimeSpan.Zero), CancellationToken.None);
        }

        scheduler.Move(FakeTransferNetwork.KeyOf(5), new QueueMove(QueueMoveKind.Top));
        await manager.RemoveAsync(FakeTransferNetwork.KeyOf(2), deleteData: false, CancellationToken.None);

        var all = manager.List();
        for (var skip = 0; skip <= all.Count; skip++)
        {
            var (page, total) = manager.Page(skip, 2);
            Assert.Equal(all.Count, total);
            Assert.Equal(all.Skip(skip).Take(2).Select(t => (t.Key, t.State, t.Scheduling!.QueuePosition)), page.Select(t => (t.Key, t.State, t.Scheduling!.QueuePosition)));
        }

        Assert.Equal(0, manager.Find(FakeTransferNetwork.KeyOf(5))!.Scheduling!.QueuePosition);
        Assert.Equal([0, 1, 2, 3], all.Select(t => t.Scheduling!.QueuePosition).Order());
    }

    [Fact]
    public void A_page_of_a_long_list_sorts_its_index_in_storage_kept_for_the_next_page()
    {
        var (manager, _) = Open();
        for (var n = 10_000; n >= 1; n--)
        {
            _network.Add(n, TransferState.Seeding, complete: true);
        }

        var (first, total) = manager.Page(5_000, 10);
        Assert.Equal(10_000, total);
        Assert.Equal(Enumerable.Range(5_001, 10).Select(FakeTransferNetwork.KeyOf), first.Select(transfer => transfer.Key));

        var before = GC.GetAllocatedBytesForCurrentThread();
        var (again, _) = manager.Page(5_000, 10);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // Ten views and their page. An index of 10,000 made anew at each page is 320 KB or more, on the large-object
        // heap, whose blocking collections held up pages of a node holding 6,000 transfers every second or so.
        Assert.Equal(first.Select(transfer => transfer.Key), again.Select(transfer => transfer.Key));
        Assert.True(allocated < 64 * 1024, $"A page allocated {allocated} bytes.");
    }

    [Fact]
    public async Task The_order_and_the_waiting_set_survive_a_restart()
    {
        var (manager, scheduler) = Open();
        for (var n = 1; n <= 4; n++)
        {
            await manager.AddAsync(new TransferRequest($"{n}", null, [], TimeSpan.Zero), CancellationToken.None);
        }

        scheduler.Move(FakeTransferNetwork.KeyOf(4), new QueueMove(QueueMoveKind.Position, 2));

        // A new scheduler on the same database (the network keeps what it recorded: two running, two stopped).
        var (again, _) = Open();
        Assert.Equal(["downloading", "downloading", "queued", "queued"], States(again));
        Assert.Equal([0, 1, 3, 2], again.List().Select(t => t.Scheduling!.QueuePosition));
    }

    [Fact]
    public async Task A_seeding_time_goal_stops_the_torrent_after_its_minutes_of_seeding_counted_over_restarts()
    {
        _settings = _settings with { SeedTimeLimitMinutes = 10 };
        var (manager, scheduler) = Open();
        var key = _network.Add(1, TransferState.Seeding, complete: true);
        await TickAsync(scheduler);
        await AdvanceAsync(scheduler, TimeSpan.FromMinutes(6));
        Assert.Equal(TransferState.Seeding, manager.Find(key)!.State);

        // A restart: the six minutes seeded so far are kept.
        (manager, scheduler) = Open();
        await TickAsync(scheduler);
        await AdvanceAsync(scheduler, TimeSpan.FromMinutes(3.5));
        Assert.Equal(TransferState.Seeding, manager.Find(key)!.State);
        await AdvanceAsync(scheduler, TimeSpan.FromMinutes(1));

        var stopped = manager.Find(key)!;
        Assert.Equal(TransferState.Completed, stopped.State);
        Assert.Equal("seeding time 10 min reached", stopped.Scheduling!.StopReason);
        Assert.Contains("stop t1", _network.Calls);

        // Started by hand, it seeds on: the met goal is lifted for it.
        Assert.True(manager.Start(key));
        await AdvanceAsync(scheduler, TimeSpan.FromMinutes(5));
        Assert.Equal(TransferState.Seeding, manager.Find(key)!.State);
        Assert.Equal(0, scheduler.Schedule.Find(key)!.Goals.TimeMinutes);
    }

    [Fact]
    public async Task An_idle_goal_counts_from_the_last_upload_and_remove_keeps_the_files()
    {
        var (manager, scheduler) = Open();
        var key = _network.Add(1, TransferState.Seeding, complete: true);
        scheduler.SetGoals(key, new SeedingGoalOverrides(null, null, 5, SeedingGoalAction.Remove));
        await TickAsync(scheduler);
        await AdvanceAsync(scheduler, TimeSpan.FromMinutes(4));
        _network.Upload(key, 100);
        await AdvanceAsync(scheduler, TimeSpan.FromMinutes(4));
        Assert.NotNull(manager.Find(key));

        await AdvanceAsync(scheduler, TimeSpan.FromMinutes(1.5));

        Assert.Null(manager.Find(key));
        Assert.Contains("remove t1 keeping data", _network.Calls);
        Assert.Null(scheduler.Schedule.Find(key));
    }

    [Fact]
    public async Task A_ratio_goal_of_the_node_applies_to_downloads_and_not_to_shares()
    {
        _settings = _settings with { SeedRatioLimit = 1.5 };
        var (manager, scheduler) = Open();
        var download = _network.Add(1, TransferState.Seeding, complete: true);
        var share = _network.Add(2, TransferState.Seeding, complete: true, direction: TransferDirection.Share);
        _network.Upload(download, 1400);
        _network.Upload(share, 5000);
        await TickAsync(scheduler);
        Assert.Equal(TransferState.Seeding, manager.Find(download)!.State);

        _network.Upload(download, 100);
        await AdvanceAsync(scheduler, TransferScheduler.Interval);

        Assert.Equal(TransferState.Completed, manager.Find(download)!.State);
        Assert.Equal("ratio 1.5 reached", manager.Find(download)!.Scheduling!.StopReason);
        Assert.Equal(TransferState.Seeding, manager.Find(share)!.State);
        Assert.Equal(0, manager.Find(share)!.Scheduling!.Goals.Ratio);
    }

    [Fact]
    public async Task Seeds_past_max_active_seeds_wait_and_start_when_one_stops()
    {
        _settings = _settings with { MaxActiveSeeds = 1 };
        var (manager, scheduler) = Open();
        var first = _network.Add(1, TransferState.Seeding, complete: true);
        var second = _network.Add(2, TransferState.Downloading);
        await TickAsync(scheduler);
        _network.Complete(second);
        await TickAsync(scheduler);

        Assert.Equal(TransferState.Queued, manager.Find(second)!.State);
        Assert.Equal("seed", manager.Find(second)!.Scheduling!.Waiting);

        await manager.StopAsync(first, CancellationToken.None);

        Assert.Equal(TransferState.Seeding, manager.Find(second)!.State);
    }

    [Fact]
    public async Task A_round_decides_from_the_transfers_statuses_and_builds_no_view()
    {
        // What a node holding thousands looks like, small: seeds, two downloads running and one waiting for a slot.
        _settings = _settings with { SeedRatioLimit = 2, SeedIdleLimitMinutes = 60 };
        var (manager, scheduler) = Open();
        for (var n = 1; n <= 200; n++)
        {
            _network.Add(n, TransferState.Seeding, complete: true);
        }

        for (var n = 201; n <= 203; n++)
        {
            await manager.AddAsync(new TransferRequest($"{n}", null, [], TimeSpan.Zero), CancellationToken.None);
        }

        var waiting = FakeTransferNetwork.KeyOf(203);
        Assert.Equal(TransferState.Queued, manager.Find(waiting)!.State);
        _network.Upload(FakeTransferNetwork.KeyOf(7), 2000);
        var built = _network.ViewsBuilt;
        var calls = _network.Calls.Count;

        await AdvanceAsync(scheduler, TimeSpan.FromMinutes(1));
        _network.Complete(FakeTransferNetwork.KeyOf(201));
        await AdvanceAsync(scheduler, TransferScheduler.Interval);

        // Thirty-one rounds over 203 transfers built no view, and still decided: the seeds' time counted (from the
        // second round), the ratio goal met, the freed slot given to the one waiting.
        Assert.Equal(built, _network.ViewsBuilt);
        Assert.Equal(TimeSpan.FromSeconds(60), scheduler.Schedule.SeedingTime(FakeTransferNetwork.KeyOf(1)));
        Assert.Equal(["stop t7", "start t203"], _network.Calls.Skip(calls));
        Assert.Equal(TransferState.Completed, manager.Find(FakeTransferNetwork.KeyOf(7))!.State);
        Assert.Equal(TransferState.Downloading, manager.Find(waiting)!.State);
    }

    private (TransferManager Manager, TransferScheduler Scheduler) Open()
    {
        var scheduler = new TransferScheduler(TransferSchedule.Open(_directory.Path), () => _settings, _time, NullLogger<TransferScheduler>.Instance);
        return (new TransferManager([_network], queue: scheduler), scheduler);
    }

    private static List<string> States(TransferManager manager) => [.. manager.List().Select(t => TransferView.StateName(t.State))];

    private static async Task TickAsync(TransferScheduler scheduler) => await scheduler.TickAsync();

    // Advances the clock one interval at a time, running the round each time as the timer would.
    private async Task AdvanceAsync(TransferScheduler scheduler, TimeSpan span)
    {
        for (var left = span; left > TimeSpan.Zero; left -= TransferScheduler.Interval)
        {
            _time.Advance(left < TransferScheduler.Interval ? left : TransferScheduler.Interval);
            await scheduler.TickAsync();
        }
    }
}
