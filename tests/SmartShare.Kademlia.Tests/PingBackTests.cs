using System.Net;
using SmartShare.Kademlia.Networking;
using SmartShare.Kademlia.Tests.Simulation;
using SmartShare.Testing;

namespace SmartShare.Kademlia.Tests;

/// <summary>
/// A node whose table is nearly empty pings new requesters back at once (lbry-sdk waits 300 s), so two fresh nodes
/// find each other's announcements in seconds; one pending ping per contact, and the 300 s delay once the table fills.
/// </summary>
public class PingBackTests
{
    private static readonly KademliaNodeOptions Lbry = new() { ImmediatePingBackBelow = 8 };

    [Fact]
    public void A_fresh_bootstrap_node_adds_its_first_requester_within_seconds_and_announces_to_it()
    {
        using var sim = new SimulatedNetwork(48, 7, Lbry);
        var first = sim.AddNode();
        var second = sim.AddNode();

        Assert.True(sim.Join(second));
        VirtualTime.Advance(sim.Clock, TimeSpan.FromSeconds(5));

        Assert.NotNull(first.RoutingTable.FindById(second.Id));
        var key = NodeId.Random(48, sim.Random);
        var stored = VirtualTime.Run(sim.Clock, () => first.AnnounceAsync(key, new byte[] { 1, 2 }, CancellationToken.None));
        var found = VirtualTime.Run(sim.Clock, () => second.FindPeersAsync(key, CancellationToken.None));
        Assert.Equal(1, stored);
        Assert.Contains(found.Peers, peer => peer.Span.SequenceEqual(new byte[] { 1, 2 }));
    }

    [Fact]
    public void Without_the_immediate_ping_back_the_first_announce_reaches_no_node()
    {
        // The measured behaviour this replaces: lbry-sdk's 300 s delay leaves a fresh node's announce with no one to go to.
        using var sim = new SimulatedNetwork(48, 7, new KademliaNodeOptions());
        var first = sim.AddNode();
        var second = sim.AddNode();

        Assert.True(sim.Join(second));
        VirtualTime.Advance(sim.Clock, TimeSpan.FromSeconds(5));

        Assert.Null(first.RoutingTable.FindById(second.Id));
        var stored = VirtualTime.Run(sim.Clock, () => first.AnnounceAsync(NodeId.Random(48, sim.Random), new byte[] { 1, 2 }, CancellationToken.None));
        Assert.Equal(0, stored);
    }

    [Fact]
    public void A_node_with_enough_contacts_still_waits_300_seconds()
    {
        using var sim = new SimulatedNetwork(48, 11, new KademliaNodeOptions { ImmediatePingBackBelow = 2 });
        var hub = sim.AddNode();
        for (var i = 0; i < 3; i++)
        {
            Assert.True(sim.Join(sim.AddNode()));
            VirtualTime.Advance(sim.Clock, TimeSpan.FromSeconds(5));
        }

        // The first two requesters were pinged at once; once two are in, the third waits lbry-sdk's 300 s.
        Assert.Equal(2, hub.RoutingTable.Count);
        VirtualTime.Advance(sim.Clock, TimeSpan.FromSeconds(290));
        Assert.Equal(2, hub.RoutingTable.Count);
        VirtualTime.Advance(sim.Clock, TimeSpan.FromSeconds(20));
        Assert.Equal(3, hub.RoutingTable.Count);
    }

    [Fact]
    public void A_requester_asking_again_and_again_gets_one_pending_ping()
    {
        using var sim = new SimulatedNetwork(48, 13, Lbry);
        var node = sim.AddNode();
        IKademliaRequestHandler handler = node;

        // Nobody listens at this address: the ping stays pending until it times out.
        var silent = new RequestSender(NodeId.Random(48, sim.Random), new IPEndPoint(IPAddress.Parse("10.9.9.9"), 4444));
        var before = node.RequestsSent;
        for (var i = 0; i < 10; i++)
        {
            handler.HandlePing(silent);
        }

        Assert.Equal(before + 1, node.RequestsSent);
        VirtualTime.Advance(sim.Clock, TimeSpan.FromSeconds(60));
        Assert.Null(node.RoutingTable.FindById(silent.Id));
    }
}
