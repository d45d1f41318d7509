using System.Diagnostics;
using SmartShare.Testing;
using Xunit.Abstractions;

namespace SmartShare.Kademlia.Tests.Simulation;

public class LargeNetworkSimulationTests(ITestOutputHelper output)
{
    [Fact]
    public void Two_thousand_nodes_find_every_announced_key_and_still_find_99_percent_after_a_fifth_die()
    {
        var nodeCount = int.TryParse(Environment.GetEnvironmentVariable("KADEMLIA_SIM_NODES"), out var configured) ? configured : 2000;
        const int keyCount = 200;
        var stopwatch = Stopwatch.StartNew();
        using var sim = new SimulatedNetwork(48, 2026, new KademliaNodeOptions
        {
            BucketSize = 8,
            Parallelism = 5,

            // lbry-sdk's own tests shorten the 300 s ping-back too; joins are a few virtual seconds apart.
            RequesterPingBackDelay = TimeSpan.FromSeconds(1),
        });

        sim.AddNode();
        for (var i = 1; i < nodeCount; i++)
        {
            Assert.True(sim.Join(sim.AddNode()), $"node {i} could not join");

            // Let the ping-backs bring the newcomer into the tables of the nodes it asked.
            VirtualTime.Advance(sim.Clock, TimeSpan.FromSeconds(2));
        }

        var joinedAt = stopwatch.Elapsed;
        output.WriteLine($"after join: requests {sim.Network.RequestsSent}, {joinedAt.TotalSeconds:F1} s, mean table size {sim.Nodes.Average(n => n.RoutingTable.Count):F0}, timers {sim.Clock.PendingCount}");

        // One round of the hourly bucket refresh, as a network that has been up for an hour has had.
        VirtualTime.Advance(sim.Clock, TimeSpan.FromMinutes(30));
        foreach (var node in sim.Nodes)
        {
            VirtualTime.Run(sim.Clock, () => node.RefreshAsync(CancellationToken.None));
        }

        VirtualTime.Advance(sim.Clock, TimeSpan.FromSeconds(2));
        var refreshedAt = stopwatch.Elapsed;
        output.WriteLine($"after refresh: requests {sim.Network.RequestsSent}, {refreshedAt.TotalSeconds:F1} s");

        var keys = new List<(NodeId Key, byte[] Value, int Announcer)>();
        var storedCounts = new List<int>();
        for (var k = 0; k < keyCount; k++)
        {
            var key = NodeId.Random(48, sim.Random);
            var announcer = sim.Random.NextInt(nodeCount);
            var value = BitConverter.GetBytes(k);
            storedCounts.Add(VirtualTime.Run(sim.Clock, () => sim.Nodes[announcer].AnnounceAsync(key, value, CancellationToken.None)));
            keys.Add((key, value, announcer));
        }

        var announcedAt = stopwatch.Elapsed;
        var (foundBefore, requestsBefore) = LookUpAll(sim, keys, alive: _ => true);
        Assert.Equal(keyCount, foundBefore);

        var dead = new HashSet<int>();
        while (dead.Count < nodeCount / 5)
        {
            var victim = sim.Random.NextInt(nodeCount);
            if (dead.Add(victim))
            {
                sim.Kill(victim);
            }
        }

        var (foundAfter, requestsAfter) = LookUpAll(sim, keys, alive: index => !dead.Contains(index));
        stopwatch.Stop();

        output.WriteLine($"nodes {nodeCount}, keys {keyCount}, joined in {joinedAt.TotalSeconds:F1} s, refreshed by {refreshedAt.TotalSeconds:F1} s, announced by {announcedAt.TotalSeconds:F1} s, total {stopwatch.Elapsed.TotalSeconds:F1} s wall");
        output.WriteLine($"stores accepted per announce: median {Percentile(storedCounts, 0.5)}, min {storedCounts.Min()}");
        output.WriteLine($"before kill: {foundBefore}/{keyCount} found, requests per lookup median {Percentile(requestsBefore, 0.5)}, p99 {Percentile(requestsBefore, 0.99)}");
        output.WriteLine($"after killing 20%: {foundAfter}/{keyCount} found, requests per lookup median {Percentile(requestsAfter, 0.5)}, p99 {Percentile(requestsAfter, 0.99)}");
        output.WriteLine($"requests on the network: {sim.Network.RequestsSent}, virtual time {sim.Clock.GetUtcNow() - new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)}");
        Assert.True(foundAfter >= keyCount * 99 / 100, $"only {foundAfter} of {keyCount} keys found after the kill");
    }

    private (int Found, List<int> Requests) LookUpAll(
        SimulatedNetwork sim, List<(NodeId Key, byte[] Value, int Announcer)> keys, Func<int, bool> alive)
    {
        var found = 0;
        var requests = new List<int>();
        foreach (var (key, value, announcer) in keys)
        {
            int searcher;
            do
            {
                searcher = sim.Random.NextInt(sim.Nodes.Count);
            }
            while (searcher == announcer || !alive(searcher));

            var result = VirtualTime.Run(sim.Clock, () => sim.Nodes[searcher].FindPeersAsync(key, CancellationToken.None));
            requests.Add(result.RequestsSent);
            if (result.Peers.Any(peer => peer.Span.SequenceEqual(value)))
            {
                found++;
            }
            else
            {
                var trueClosest = Enumerable.Range(0, sim.Nodes.Count).Where(alive)
                    .OrderBy(i => sim.Nodes[i].Id, Comparer<NodeId>.Create((a, b) => key.CompareDistance(a, b))).Take(8).ToList();
                var storing = Enumerable.Range(0, sim.Nodes.Count).Where(i => sim.Nodes[i].PeerStore.GetPeers(key).Count > 0).ToList();
                var resultIdx = result.Closest.Select(c => sim.EndPoints.IndexOf(c.EndPoint)).ToList();
                output.WriteLine($"miss: true closest [{string.Join(",", trueClosest)}] storing [{string.Join(",", storing)}] searcher closest [{string.Join(",", resultIdx)}] requests {result.RequestsSent}");
            }
        }

        return (found, requests);
    }

    private static int Percentile(List<int> values, double fraction)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(fraction * sorted.Count) - 1)];
    }
}
