using System.Net;
using SmartShare.Kademlia;
using SmartShare.Lbry.Dht;
using SmartShare.Networking;

namespace SmartShare.Lbry.Tests.Dht;

/// <summary>Our LBRY DHT nodes on real UDP sockets on 127.0.0.1, speaking lbry-sdk's datagrams to each other.</summary>
public sealed class LbryDhtNetworkTests : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new(TimeSpan.FromSeconds(120));
    private readonly List<RunningNode> _nodes = [];

    [Fact]
    public async Task Thirty_nodes_join_through_one_bootstrap_and_all_find_an_announced_peer()
    {
        for (var i = 0; i < 30; i++)
        {
            _nodes.Add(RunningNode.Start(_stop.Token));
        }

        var bootstrap = _nodes[0];
        foreach (var node in _nodes.Skip(1))
        {
            Assert.True(await node.Engine.JoinAsync([bootstrap.Endpoint.LocalEndPoint], _stop.Token), "a node could not join");
        }

        var key = NodeId.Random(48, SecureRandomSource.Instance);
        var seeder = _nodes[7];
        var stored = await seeder.Engine.AnnounceAsync(key, ReadOnlyMemory<byte>.Empty, _stop.Token);
        Assert.True(stored > 0, "no node stored the announcement");

        var expected = new CompactPeerAddress(IPAddress.Loopback, seeder.Endpoint.LocalEndPoint.Port, seeder.Engine.Id.ToArray()).ToArray();
        var lookups = _nodes.Where(node => node != seeder).Select(async node =>
        {
            var found = await node.Engine.FindPeersAsync(key, _stop.Token);
            return found.Peers.Any(peer => peer.Span.SequenceEqual(expected));
        });
        var results = await Task.WhenAll(lookups);

        Assert.All(results, Assert.True);
        Assert.All(_nodes, node => Assert.Equal(0, node.Endpoint.Malformed));
    }

    [Fact]
    public async Task A_store_with_a_wrong_token_is_refused_and_stores_nothing()
    {
        var a = RunningNode.Start(_stop.Token);
        var b = RunningNode.Start(_stop.Token);
        _nodes.AddRange([a, b]);
        var key = NodeId.Random(48, SecureRandomSource.Instance);

        var accepted = await a.Endpoint.StoreAsync(b.Endpoint.LocalEndPoint, key, new byte[48], ReadOnlyMemory<byte>.Empty, _stop.Token);

        Assert.False(accepted);
        Assert.Empty(b.Engine.PeerStore.GetPeers(key));
    }

    [Fact]
    public async Task Garbage_datagrams_are_counted_and_the_node_keeps_answering()
    {
        var a = RunningNode.Start(_stop.Token);
        var b = RunningNode.Start(_stop.Token);
        _nodes.AddRange([a, b]);
        using var attacker = UdpDatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        foreach (var junk in new[] { "hello"u8.ToArray(), "d1:0i9ee"u8.ToArray(), new byte[5000], "le"u8.ToArray() })
        {
            await attacker.SendAsync(junk, b.Endpoint.LocalEndPoint, _stop.Token);
        }

        var pong = await a.Endpoint.PingAsync(b.Endpoint.LocalEndPoint, _stop.Token);

        Assert.Equal(b.Engine.Id, pong);
        Assert.True(b.Endpoint.Malformed >= 4, $"only {b.Endpoint.Malformed} malformed datagrams were counted");
    }

    [Fact]
    public async Task Without_allow_lan_requests_from_loopback_are_dropped_as_lbry_sdk_does()
    {
        var strict = RunningNode.Start(_stop.Token, allowLan: false);
        var a = RunningNode.Start(_stop.Token);
        _nodes.AddRange([strict, a]);

        var pong = await a.Endpoint.PingAsync(strict.Endpoint.LocalEndPoint, _stop.Token);

        Assert.Null(pong);
        Assert.Equal(1, strict.Endpoint.RefusedSources);
    }

    [Fact]
    public async Task Thousands_of_mutated_lbry_datagrams_never_make_a_handler_throw()
    {
        var target = RunningNode.Start(_stop.Token);
        var prober = RunningNode.Start(_stop.Token);
        _nodes.AddRange([target, prober]);
        using var attacker = UdpDatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var valid = Support.Vectors.Load("dht-datagrams.json").GetProperty("datagrams").EnumerateArray()
            .Select(datagram => Convert.FromHexString(datagram.GetProperty("hex").GetString()!))
            .ToArray();
        var random = new Random(1234);
        const int Sent = 3000;
        for (var i = 0; i < Sent; i++)
        {
            var bytes = (byte[])valid[random.Next(valid.Length)].Clone();
            for (var flips = random.Next(1, 4); flips > 0; flips--)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            await attacker.SendAsync(bytes.AsMemory(0, random.Next(1, bytes.Length + 1)), target.Endpoint.LocalEndPoint, _stop.Token);

            // Paced in batches: a burst larger than the socket's receive buffer would be dropped by the kernel.
            if (i % 50 == 49)
            {
                var expected = i + 1;
                await WaitUntilAsync(() => target.Socket.Received >= expected);
            }
        }

        Assert.Equal(0, target.Socket.HandlerFailures);
        Assert.Equal(target.Engine.Id, await prober.Endpoint.PingAsync(target.Endpoint.LocalEndPoint, _stop.Token));
    }

    private async Task WaitUntilAsync(Func<bool> condition)
    {
        while (!condition())
        {
            await Task.Delay(10, _stop.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        _stop.Dispose();
    }

    private sealed class RunningNode : IAsyncDisposable
    {
        private readonly UdpDatagramSocket _socket;
        private readonly Task _loop;

        private RunningNode(UdpDatagramSocket socket, LbryDhtEndpoint endpoint, KademliaNode engine, Task loop)
        {
            _socket = socket;
            Endpoint = endpoint;
            Engine = engine;
            _loop = loop;
        }

        public LbryDhtEndpoint Endpoint { get; }

        public UdpDatagramSocket Socket => _socket;

        public KademliaNode Engine { get; }

        public static RunningNode Start(CancellationToken stop, bool allowLan = true)
        {
            var socket = UdpDatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var options = new LbryDhtOptions { AllowLan = allowLan, TcpPort = socket.LocalEndPoint.Port, RequestTimeout = TimeSpan.FromSeconds(2) };
            var endpoint = new LbryDhtEndpoint(socket, options, TimeProvider.System, SecureRandomSource.Instance);

            // lbry-sdk's own tests shorten the 300 s ping-back of unknown requesters the same way.
            var engine = new KademliaNode(
                NodeId.Random(48, SecureRandomSource.Instance),
                endpoint,
                TimeProvider.System,
                SecureRandomSource.Instance,
                new KademliaNodeOptions { RequesterPingBackDelay = TimeSpan.Zero });
            endpoint.Attach(engine);
            return new RunningNode(socket, endpoint, engine, endpoint.RunAsync(stop));
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await _loop;
            }
            catch (OperationCanceledException)
            {
            }

            Engine.Dispose();
            _socket.Dispose();
        }
    }
}
