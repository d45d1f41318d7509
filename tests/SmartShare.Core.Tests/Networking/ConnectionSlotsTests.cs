using System.Net;
using Microsoft.Extensions.Time.Testing;
using SmartShare.Networking;

namespace SmartShare.Core.Tests.Networking;

public sealed class ConnectionSlotsTests
{
    private static readonly IPAddress Genuine = IPAddress.Parse("192.0.2.200");

    [Fact]
    public void A_host_at_its_share_evicts_its_own_longest_waiting_connection_never_anothers()
    {
        var time = new FakeTimeProvider();
        var slots = new ConnectionSlots(capacity: 10, perHost: 3, time);
        var other = slots.TryTake(Genuine, evictable: true)!;
        var attacker = IPAddress.Parse("192.0.2.1");
        var first = slots.TryTake(attacker, evictable: true)!;
        time.Advance(TimeSpan.FromSeconds(1));
        var second = slots.TryTake(attacker, evictable: true)!;
        var third = slots.TryTake(attacker, evictable: true)!;

        var fourth = slots.TryTake(attacker, evictable: true);

        Assert.NotNull(fourth);
        Assert.True(first.Evicted.IsCancellationRequested);
        Assert.False(second.Evicted.IsCancellationRequested || third.Evicted.IsCancellationRequested || other.Evicted.IsCancellationRequested);
        Assert.Equal(4, slots.Count);
        Assert.Equal(1, slots.Evictions);
    }

    [Fact]
    public void When_full_the_host_holding_the_most_slots_gives_one_up_and_busy_connections_are_never_evicted()
    {
        var time = new FakeTimeProvider();
        var slots = new ConnectionSlots(capacity: 8, perHost: 4, time);
        var genuine = slots.TryTake(Genuine, evictable: true)!;
        time.Advance(TimeSpan.FromSeconds(5));
        var idle = new List<ConnectionSlots.Slot>();
        for (var host = 1; host <= 2; host++)
        {
            for (var i = 0; i < (host == 1 ? 4 : 3); i++)
            {
                idle.Add(slots.TryTake(IPAddress.Parse($"192.0.2.{host}"), evictable: true)!);
                time.Advance(TimeSpan.FromMilliseconds(10));
            }
        }

        Assert.Equal(8, slots.Count);

        // The newcomer takes the oldest waiting slot of 192.0.2.1 (four slots), not the genuine host's older one.
        var newcomer = slots.TryTake(IPAddress.Parse("192.0.2.100"), evictable: false);
        Assert.NotNull(newcomer);
        Assert.True(idle[0].Evicted.IsCancellationRequested);
        Assert.False(genuine.Evicted.IsCancellationRequested);

        // Busy connections keep their slots: with nothing waiting, a newcomer is refused.
        foreach (var slot in idle.Skip(1).Append(genuine))
        {
            slot.Evictable = false;
        }

        Assert.Null(slots.TryTake(IPAddress.Parse("192.0.2.101"), evictable: true));
        Assert.Equal(8, slots.Count);
    }

    [Fact]
    public void A_released_slot_frees_room_and_an_ipv6_64_counts_as_one_host()
    {
        var slots = new ConnectionSlots(capacity: 4, perHost: 2, new FakeTimeProvider());
        var a = slots.TryTake(IPAddress.Parse("2001:db8:1:2::1"), evictable: false)!;
        var b = slots.TryTake(IPAddress.Parse("2001:db8:1:2:ffff::9"), evictable: false)!;

        // Same /64, both busy: refused; another /64 is another host.
        Assert.Null(slots.TryTake(IPAddress.Parse("2001:db8:1:2::77"), evictable: true));
        Assert.NotNull(slots.TryTake(IPAddress.Parse("2001:db8:1:3::1"), evictable: true));

        a.Dispose();
        a.Dispose();
        Assert.NotNull(slots.TryTake(IPAddress.Parse("2001:db8:1:2::77"), evictable: true));
        Assert.Equal(3, slots.Count);
        b.Dispose();
        Assert.Equal(2, slots.Count);
    }

    [Fact]
    public void An_ipv4_mapped_address_counts_as_its_ipv4_host()
    {
        var slots = new ConnectionSlots(capacity: 4, perHost: 1, new FakeTimeProvider());
        Assert.NotNull(slots.TryTake(IPAddress.Parse("192.0.2.7"), evictable: false));

        Assert.Null(slots.TryTake(IPAddress.Parse("::ffff:192.0.2.7"), evictable: false));
    }
}
