using SmartShare.Kademlia.Tests.Simulation;
using SmartShare.Testing;

namespace SmartShare.Kademlia.Tests;

/// <summary>
/// A partition makes a node drop every contact of the other side (one silence after a reply makes a contact bad), and
/// with a few contacts of its own side left nothing leads back. While its table is small the node looks up its own id
/// through its bootstrap nodes again every <see cref="KademliaNodeOptions.SmallTableRejoinInterval"/>.
/// </summary>
public class PartitionRejoinTests
{
    [Fact]
    public void A_node_relearns_its_bootstrap_node_within_one_interval_after_a_partition_heals()
    {
        var (sim, hub, node) = SplitAndHeal(new KademliaNodeOptions { ImmediatePingBackBelow = 8 });
        using (sim)
        {
            Assert.Null(node.RoutingTable.FindById(hub.Id));

            VirtualTime.Advance(sim.Clock, TimeSpan.FromSeconds(31));

            Assert.NotNull(node.RoutingTable.FindById(hub.Id));
        }
    }

    [Fact]
    public void Without_the_rejoin_the_healed_node_never_finds_the_other_side_again()
    {
        // The behaviour this replaces: the hourly refresh looks only through the contacts left, all on one side.
        var (sim, hub, node) = SplitAndHeal(new KademliaNodeOptions { ImmediatePingBackBelow = 8, SmallTableBelow = 0 });
        using (sim)
        {
            VirtualTime.Advance(sim.Clock, TimeSpan.FromHours(2));

            Assert.Null(node.RoutingTable.FindById(hub.Id));
        }
    }

    // Three nodes joined through the first (the hub); the hub goes silent while the other two look something up, then
    // answers again. Returns the hub and the second node, which by then knows only the third.
    private static (SimulatedNetwork Sim, KademliaNode Hub, KademliaNode Node) SplitAndHeal(KademliaNodeOptions options)
    {
        var sim = new SimulatedNetwork(48, 21, options);
        var hub = sim.AddNode();
        var node = sim.AddNode();
        var other = sim.AddNode();
        Assert.True(sim.Join(node));
        Assert.True(sim.Join(other));
        VirtualTime.Advance(sim.Clock, TimeSpan.FromSeconds(5));
        node.Start();
        Assert.NotNull(node.RoutingTable.FindById(hub.Id));
        Assert.NotNull(node.RoutingTable.FindById(other.Id));

        // Both nodes of this side look something up while the hub is silent, so neither knows it any more.
        sim.Network.Kill(sim.EndPoints[0]);
        VirtualTime.Run(sim.Clock, () => node.FindClosestNodesAsync(NodeId.Random(48, sim.Random), 8, CancellationToken.None));
        VirtualTime.Run(sim.Clock, () => other.FindClosestNodesAsync(NodeId.Random(48, sim.Random), 8, CancellationToken.None));
        Assert.Null(node.RoutingTable.FindById(hub.Id));
        Assert.Null(other.RoutingTable.FindById(hub.Id));
        Assert.NotNull(node.RoutingTable.FindById(other.Id));
        sim.Network.Listen(sim.EndPoints[0], hub);
        return (sim, hub, node);
    }
}
