using System.Net;
using SmartShare.Kademlia.Networking;
using SmartShare.Kademlia.Tests.Simulation;
using SmartShare.Testing;

namespace SmartShare.Kademlia.Tests;

public class KademliaNodeTests
{
    private static SimulatedNetwork Network(KademliaNodeOptions? options = null) =>
        new(48, 99, options ?? new KademliaNodeOptions { RequesterPingBackDelay = TimeSpan.Zero });

    [Fact]
    public void Nodes_that_joined_through_one_bootstrap_node_find_what_another_announced()
    {
        using var sim = Network();
        sim.AddNode();
        for (var i = 1; i < 25; i++)
        {
            Assert.True(sim.Join(sim.AddNode()));
        }

        var key = NodeId.Random(48, sim.Random);
        var stored = VirtualTime.Run(sim.Clock, () => sim.Nodes[4].AnnounceAsync(key, new byte[] { 4, 4 }, CancellationToken.None));
        var found = VirtualTime.Run(sim.Clock, () => sim.Nodes[17].FindPeersAsync(key, CancellationToken.None));

        Assert.Equal(8, stored);
        Assert.Contains(found.Peers, peer => peer.Span.SequenceEqual(new byte[] { 4, 4 }));
    }

    [Fact]
    public void A_store_with_a_wrong_token_is_refused_and_one_from_find_value_is_accepted()
    {
        using var sim = Network();
        IKademliaRequestHandler node = sim.AddNode();
        var sender = new RequestSender(NodeId.Random(48, sim.Random), new IPEndPoint(IPAddress.Parse("10.1.1.1"), 4444));
        var key = NodeId.Random(48, sim.Random);

        var token = node.HandleFindValue(sender, key).Token;

        Assert.False(node.HandleStore(sender, key, new byte[48], [9]));
        Assert.False(node.HandleStore(sender with { EndPoint = new IPEndPoint(IPAddress.Parse("10.1.1.2"), 4444) }, key, token.Span, [9]));
        Assert.True(node.HandleStore(sender, key, token.Span, [9]));
        Assert.Equal(sender.Id, Assert.Single(sim.Nodes[0].PeerStore.GetPeers(key)).Announcer);
    }

    [Fact]
    public void Find_node_answers_leave_out_the_requester()
    {
        using var sim = Network();
        sim.AddNode();
        for (var i = 1; i < 5; i++)
        {
            sim.Join(sim.AddNode());
        }

        IKademliaRequestHandler bootstrap = sim.Nodes[0];
        var requester = sim.Nodes[1];
        var answer = bootstrap.HandleFindNode(new RequestSender(requester.Id, sim.EndPoints[1]), requester.Id);

        Assert.NotEmpty(answer);
        Assert.DoesNotContain(answer, contact => contact.Id.Equals(requester.Id));
    }

    [Fact]
    public void An_unknown_requester_joins_the_table_only_after_answering_a_ping_300_seconds_later()
    {
        using var sim = Network(new KademliaNodeOptions());
        var bootstrap = sim.AddNode();
        var newcomer = sim.AddNode();

        Assert.True(sim.Join(newcomer));
        Assert.Null(bootstrap.RoutingTable.FindById(newcomer.Id));

        VirtualTime.Advance(sim.Clock, TimeSpan.FromSeconds(299));
        Assert.Null(bootstrap.RoutingTable.FindById(newcomer.Id));
        VirtualTime.Advance(sim.Clock, TimeSpan.FromSeconds(2));
        Assert.NotNull(bootstrap.RoutingTable.FindById(newcomer.Id));
    }

    [Fact]
    public void Refresh_drops_contacts_that_died_and_rejoins_when_the_table_is_empty()
    {
        using var sim = Network();
        sim.AddNode();
        var lonely = sim.AddNode();
        Assert.True(sim.Join(lonely));
        Assert.Equal(1, lonely.RoutingTable.Count);

        sim.Kill(0);
        VirtualTime.Advance(sim.Clock, TimeSpan.FromSeconds(721));
        VirtualTime.Run(sim.Clock, () => lonely.RefreshAsync(CancellationToken.None));
        Assert.Equal(0, lonely.RoutingTable.Count);

        // The bootstrap node comes back (same address, new id): the next refresh joins again.
        var revived = new KademliaNode(NodeId.Random(48, sim.Random), sim.Network.Connect(sim.EndPoints[0]), sim.Clock, sim.Random, sim.Options);
        sim.Network.Listen(sim.EndPoints[0], revived);
        VirtualTime.Run(sim.Clock, () => lonely.RefreshAsync(CancellationToken.None));

        Assert.Equal(revived.Id, Assert.Single(lonely.RoutingTable.GetContacts()).Id);
        revived.Dispose();
    }

    [Fact]
    public void Requests_sent_counts_lookups_pings_and_stores()
    {
        using var sim = Network();
        sim.AddNode();
        var node = sim.AddNode();
        sim.Join(node);
        var before = node.RequestsSent;

        VirtualTime.Run(sim.Clock, () => node.AnnounceAsync(NodeId.Random(48, sim.Random), new byte[] { 1 }, CancellationToken.None));

        Assert.Equal(before + 3, node.RequestsSent);
    }

    [Fact]
    public void Started_nodes_refresh_their_buckets_every_hour()
    {
        // The small-table rejoin (PartitionRejoinTests) would look up every 30 s: off here, where only the refresh counts.
        using var sim = Network(new KademliaNodeOptions { RequesterPingBackDelay = TimeSpan.Zero, SmallTableBelow = 0 });
        sim.AddNode();
        var node = sim.AddNode();
        sim.Join(node);
        node.Start();
        var before = node.RequestsSent;

        VirtualTime.Advance(sim.Clock, TimeSpan.FromMinutes(59));
        Assert.Equal(before, node.RequestsSent);
        VirtualTime.Advance(sim.Clock, TimeSpan.FromMinutes(2));
        Assert.True(node.RequestsSent > before);
    }
}
