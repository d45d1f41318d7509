using SmartShare.Testing;

namespace SmartShare.Kademlia.Tests.Simulation;

public class ManualTimeProviderTests
{
    [Fact]
    public void Timers_fire_in_due_order_with_the_clock_at_their_due_time()
    {
        var clock = new ManualTimeProvider();
        var start = clock.GetUtcNow();
        var fired = new List<(int Id, TimeSpan At)>();
        using var late = clock.CreateTimer(_ => fired.Add((2, clock.GetUtcNow() - start)), null, TimeSpan.FromSeconds(2), Timeout.InfiniteTimeSpan);
        using var early = clock.CreateTimer(_ => fired.Add((1, clock.GetUtcNow() - start)), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);

        clock.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal([(1, TimeSpan.FromSeconds(1)), (2, TimeSpan.FromSeconds(2))], fired);
        Assert.Equal(TimeSpan.FromSeconds(5), clock.GetUtcNow() - start);
    }

    [Fact]
    public void Periodic_timers_repeat_and_disposed_or_changed_timers_stop()
    {
        var clock = new ManualTimeProvider();
        var count = 0;
        var timer = clock.CreateTimer(_ => count++, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

        clock.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(3, count);

        timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        clock.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(3, count);

        timer.Change(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        clock.Advance(TimeSpan.FromSeconds(1));
        timer.Dispose();
        clock.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(4, count);
    }

    [Fact]
    public void Task_delay_completes_only_when_virtual_time_passes()
    {
        var clock = new ManualTimeProvider();
        var delay = Task.Delay(TimeSpan.FromMinutes(5), clock);

        clock.Advance(TimeSpan.FromMinutes(4));
        Assert.False(delay.IsCompleted);
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.True(delay.IsCompleted);
    }

    [Fact]
    public void Run_until_reports_when_nothing_is_left_to_run()
    {
        var clock = new ManualTimeProvider();
        Assert.False(clock.RunUntil(() => false, TimeSpan.FromHours(1)));
        Assert.True(clock.RunUntil(() => true, TimeSpan.FromHours(1)));
    }
}
