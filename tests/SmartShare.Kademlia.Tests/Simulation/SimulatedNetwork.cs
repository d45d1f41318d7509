using System.Net;
using SmartShare.Testing;

namespace SmartShare.Kademlia.Tests.Simulation;

/// <summary>A set of nodes on one in-memory network with one fake clock; node 0 is the bootstrap node.</summary>
internal sealed class SimulatedNetwork : IDisposable
{
    public SimulatedNetwork(int idLength, ulong seed, KademliaNodeOptions options, InMemoryNetworkOptions? networkOptions = null)
    {
        IdLength = idLength;
        Options = options;
        Random = new DeterministicRandomSource(seed);
        Network = new InMemoryNetwork(Clock, seed + 1, networkOptions);
    }

    public int IdLength { get; }

    public KademliaNodeOptions Options { get; }

    public ManualTimeProvider Clock { get; } = new();

    public DeterministicRandomSource Random { get; }

    public InMemoryNetwork Network { get; }

    public List<KademliaNode> Nodes { get; } = [];

    public List<IPEndPoint> EndPoints { get; } = [];

    public static IPEndPoint EndPointOf(int index) =>
        new(new IPAddress([10, (byte)(index >> 16), (byte)(index >> 8), (byte)index]), 4444);

    public KademliaNode AddNode()
    {
        var endPoint = EndPointOf(Nodes.Count);
        var node = new KademliaNode(NodeId.Random(IdLength, Random), Network.Connect(endPoint), Clock, Random, Options);
        Network.Listen(endPoint, node);
        Nodes.Add(node);
        EndPoints.Add(endPoint);
        return node;
    }

    public bool Join(KademliaNode node) =>
        VirtualTime.Run(Clock, () => node.JoinAsync([EndPoints[0]], CancellationToken.None));

    public void Kill(int index)
    {
        Network.Kill(EndPoints[index]);
        Nodes[index].Dispose();
    }

    public void Dispose()
    {
        foreach (var node in Nodes)
        {
            node.Dispose();
        }
    }
}
