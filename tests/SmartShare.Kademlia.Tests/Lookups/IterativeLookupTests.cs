using System.Net;
using SmartShare.Kademlia.Lookups;
using SmartShare.Kademlia.Networking;
using SmartShare.Kademlia.Tests.Simulation;
using SmartShare.Testing;

namespace SmartShare.Kademlia.Tests.Lookups;

public class IterativeLookupTests
{
    private static readonly KademliaNodeOptions Options = new() { RequesterPingBackDelay = TimeSpan.Zero };

    private static SimulatedNetwork JoinedNetwork(int nodeCount, int idLength = 20, ulong seed = 11)
    {
        var sim = new SimulatedNetwork(idLength, seed, Options);
        sim.AddNode();
        for (var i = 1; i < nodeCount; i++)
        {
            Assert.True(sim.Join(sim.AddNode()));
        }

        foreach (var node in sim.Nodes)
        {
            VirtualTime.Run(sim.Clock, () => node.RefreshAsync(CancellationToken.None));
        }

        return sim;
    }

    [Fact]
    public void Node_lookup_finds_the_k_closest_nodes_of_a_small_network()
    {
        using var sim = JoinedNetwork(60);
        var recorder = new RecordingObserver();
        var lookup = new IterativeLookup(sim.Network.Connect(sim.EndPoints[7]), new LookupOptions(), recorder, sim.Nodes[7].Id);
        var target = NodeId.Random(20, sim.Random);

        var result = VirtualTime.Run(sim.Clock, () => lookup.FindNodeAsync(
            target, sim.Nodes[7].RoutingTable.Closest(target, 8).Select(c => c.Info), [], 8, CancellationToken.None));

        var expected = sim.Nodes.Where((_, i) => i != 7).Select(node => node.Id)
            .Order(Comparer<NodeId>.Create(target.CompareDistance)).Take(8);
        Assert.Equal(expected, result.Closest.Select(contact => contact.Id));
        Assert.Equal(result.RequestsSent, lookup.RequestsSent);
        Assert.True(recorder.Responded.Count >= 8);
    }

    [Fact]
    public void A_bootstrap_address_without_an_id_is_asked_and_its_answer_seeds_the_lookup()
    {
        using var sim = JoinedNetwork(30);
        var newcomer = new IPEndPoint(IPAddress.Parse("10.9.9.9"), 4444);
        var lookup = new IterativeLookup(sim.Network.Connect(newcomer));
        sim.Network.Listen(newcomer, new SilentHandler(NodeId.Random(20, sim.Random)));
        var target = NodeId.Random(20, sim.Random);

        var result = VirtualTime.Run(sim.Clock, () => lookup.FindNodeAsync(target, [], [sim.EndPoints[0]], 8, CancellationToken.None));

        Assert.Equal(8, result.Closest.Count);
        Assert.True(result.RequestsSent > 1);
    }

    [Fact]
    public void Never_more_than_alpha_requests_are_in_flight()
    {
        using var sim = JoinedNetwork(40);
        var counting = new CountingRpc(sim.Network.Connect(sim.EndPoints[3]));
        var lookup = new IterativeLookup(counting, new LookupOptions { Parallelism = 3 }, null, sim.Nodes[3].Id);
        var target = NodeId.Random(20, sim.Random);

        VirtualTime.Run(sim.Clock, () => lookup.FindNodeAsync(
            target, sim.Nodes[3].RoutingTable.Closest(target, 8).Select(c => c.Info), [], 8, CancellationToken.None));

        Assert.Equal(3, counting.MaxInFlight);
    }

    [Fact]
    public void The_lookup_ends_early_when_the_target_itself_answers()
    {
        using var sim = JoinedNetwork(40);
        var target = sim.Nodes[20].Id;
        var lookup = new IterativeLookup(sim.Network.Connect(sim.EndPoints[3]), null, null, sim.Nodes[3].Id);

        var result = VirtualTime.Run(sim.Clock, () => lookup.FindNodeAsync(
            target, sim.Nodes[3].RoutingTable.Closest(target, 8).Select(c => c.Info), [], 8, CancellationToken.None));

        Assert.True(result.TargetFound);
    }

    [Fact]
    public void Dead_contacts_are_reported_as_failures_and_left_out_of_the_result()
    {
        using var sim = JoinedNetwork(40);
        var target = NodeId.Random(20, sim.Random);
        var closestIndex = sim.Nodes.Select((node, i) => (node, i)).Where(pair => pair.i != 3)
            .MinBy(pair => pair.node.Id, Comparer<NodeId>.Create(target.CompareDistance)).i;
        sim.Kill(closestIndex);
        var recorder = new RecordingObserver();
        var lookup = new IterativeLookup(sim.Network.Connect(sim.EndPoints[3]), null, recorder, sim.Nodes[3].Id);

        var result = VirtualTime.Run(sim.Clock, () => lookup.FindNodeAsync(
            target, sim.Nodes[3].RoutingTable.Closest(target, 8).Select(c => c.Info), [], 8, CancellationToken.None));

        Assert.DoesNotContain(result.Closest, contact => contact.EndPoint.Equals(sim.EndPoints[closestIndex]));
        Assert.Contains(sim.EndPoints[closestIndex], recorder.Failed);
    }

    [Fact]
    public void Value_lookup_collects_peers_from_every_node_that_stores_them_and_can_stop_early()
    {
        using var sim = JoinedNetwork(40);
        var key = NodeId.Random(20, sim.Random);
        Assert.Equal(8, VirtualTime.Run(sim.Clock, () => sim.Nodes[1].AnnounceAsync(key, new byte[] { 1 }, CancellationToken.None)));
        Assert.Equal(8, VirtualTime.Run(sim.Clock, () => sim.Nodes[2].AnnounceAsync(key, new byte[] { 2 }, CancellationToken.None)));
        var lookup = new IterativeLookup(sim.Network.Connect(sim.EndPoints[3]), null, null, sim.Nodes[3].Id);
        var seeds = sim.Nodes[3].RoutingTable.Closest(key, 8).Select(c => c.Info).ToList();

        var all = VirtualTime.Run(sim.Clock, () => lookup.FindValueAsync(key, seeds, [], int.MaxValue, CancellationToken.None));
        var first = VirtualTime.Run(sim.Clock, () => lookup.FindValueAsync(key, seeds, [], 1, CancellationToken.None));

        Assert.Equal(new byte[] { 1, 2 }, all.Peers.Select(peer => peer.Span[0]).Order());
        Assert.True(first.RequestsSent < all.RequestsSent);
        Assert.NotEmpty(first.Peers);
    }

    private sealed class RecordingObserver : ILookupObserver
    {
        public List<IPEndPoint> Responded { get; } = [];

        public List<IPEndPoint> Failed { get; } = [];

        public void OnResponded(NodeId id, IPEndPoint endPoint) => Responded.Add(endPoint);

        public void OnFailed(IPEndPoint endPoint) => Failed.Add(endPoint);

        public bool IsKnownBad(IPEndPoint endPoint) => false;
    }

    private sealed class CountingRpc(IKademliaRpc inner) : IKademliaRpc
    {
        private int _inFlight;

        public int MaxInFlight { get; private set; }

        public Task<NodeId?> PingAsync(IPEndPoint remote, CancellationToken cancellationToken) => inner.PingAsync(remote, cancellationToken);

        public Task<FindNodeResponse?> FindNodeAsync(IPEndPoint remote, NodeId target, CancellationToken cancellationToken) =>
            Count(inner.FindNodeAsync(remote, target, cancellationToken));

        public Task<FindValueResponse?> FindValueAsync(IPEndPoint remote, NodeId key, CancellationToken cancellationToken) =>
            Count(inner.FindValueAsync(remote, key, cancellationToken));

        public Task<bool> StoreAsync(IPEndPoint remote, NodeId key, ReadOnlyMemory<byte> token, ReadOnlyMemory<byte> peerValue, CancellationToken cancellationToken) =>
            inner.StoreAsync(remote, key, token, peerValue, cancellationToken);

        private async Task<T> Count<T>(Task<T> request)
        {
            MaxInFlight = Math.Max(MaxInFlight, ++_inFlight);
            try
            {
                return await request;
            }
            finally
            {
                _inFlight--;
            }
        }
    }

    private sealed class SilentHandler(NodeId id) : IKademliaRequestHandler
    {
        public NodeId Id { get; } = id;

        public void HandlePing(RequestSender sender)
        {
        }

        public IReadOnlyList<ContactInfo> HandleFindNode(RequestSender sender, NodeId target) => [];

        public FindValueResponse HandleFindValue(RequestSender sender, NodeId key) => new(Id, [], [], ReadOnlyMemory<byte>.Empty);

        public bool HandleStore(RequestSender sender, NodeId key, ReadOnlySpan<byte> token, ReadOnlySpan<byte> peerValue) => false;
    }
}
