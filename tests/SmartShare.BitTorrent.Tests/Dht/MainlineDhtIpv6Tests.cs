using System.Net;
using System.Net.Sockets;
using SmartShare.BitTorrent.Dht;
using SmartShare.Kademlia;
using SmartShare.Networking;

namespace SmartShare.BitTorrent.Tests.Dht;

/// <summary>BEP 32 between real Mainline DHT nodes on IPv6 loopback UDP sockets (::1), in real time.</summary>
public sealed class MainlineDhtIpv6Tests : IAsyncDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    private readonly List<(UdpDatagramSocket Socket, MainlineDht Dht)> _nodes = [];

    [Fact]
    public async Task Nodes_on_ipv6_loopback_learn_each_other_through_nodes6_and_find_an_announced_peer_in_values()
    {
        using var cts = new CancellationTokenSource(Limit);
        var hub = Start(IPAddress.IPv6Loopback);
        var announcer = Start(IPAddress.IPv6Loopback);
        Assert.True(await announcer.BootstrapAsync([hub.LocalEndPoint], cts.Token), "the announcer joined through the hub");
        var finder = Start(IPAddress.IPv6Loopback);

        Assert.True(await finder.BootstrapAsync([hub.LocalEndPoint], cts.Token), "the finder joined through the hub");

        // The finder only ever heard of the announcer in the hub's find_node answer: nodes6.
        Assert.NotNull(finder.Engine.RoutingTable.FindByEndPoint(announcer.LocalEndPoint));
        var infoHash = InfoHash.Compute("over ipv6"u8);
        Assert.True(await announcer.AnnounceAsync(infoHash, 51413, cts.Token) >= 1);
        var peers = await finder.GetPeersAsync(infoHash, cts.Token);
        Assert.Equal([new IPEndPoint(IPAddress.IPv6Loopback, 51413)], peers);

        // implied_port over IPv6: the nodes store the announcer's IPv6 source address and UDP port.
        var implied = InfoHash.Compute("implied over ipv6"u8);
        Assert.True(await announcer.AnnounceAsync(implied, 0, cts.Token) >= 1);
        Assert.Equal([announcer.LocalEndPoint], await finder.GetPeersAsync(implied, cts.Token));
    }

    [Fact]
    public async Task A_paired_ipv4_node_answers_want_n4_n6_with_both_tables_and_without_want_only_with_its_own()
    {
        using var cts = new CancellationTokenSource(Limit);
        var v4 = Start(IPAddress.Loopback);
        var v6 = Start(IPAddress.IPv6Loopback, v4.Id);
        MainlineDht.Pair(v4, v6);
        var neighbour4 = Start(IPAddress.Loopback);
        var neighbour6 = Start(IPAddress.IPv6Loopback);
        Assert.True(await neighbour4.BootstrapAsync([v4.LocalEndPoint], cts.Token));
        Assert.True(await neighbour6.BootstrapAsync([v6.LocalEndPoint], cts.Token));
        await DhtWaiting.UntilAsync(() => v4.NodeCount >= 1 && v6.NodeCount >= 1, "both tables hold their neighbour");
        using var client = new RawKrpcClient("127.0.0.1");

        var both = Assert.IsType<KrpcResponse>(await client.AskAsync(
            KrpcQuery.FindNode(client.NextTransactionId(), client.Id, neighbour6.Id) with { Want = KrpcWant.N4 | KrpcWant.N6 }, v4.LocalEndPoint));
        var own = Assert.IsType<KrpcResponse>(await client.AskAsync(KrpcQuery.FindNode(client.NextTransactionId(), client.Id, neighbour6.Id), v4.LocalEndPoint));
        var only6 = Assert.IsType<KrpcResponse>(await client.AskAsync(
            KrpcQuery.FindNode(client.NextTransactionId(), client.Id, neighbour6.Id) with { Want = KrpcWant.N6 }, v4.LocalEndPoint));

        Assert.Contains(new ContactInfo(neighbour4.Id, neighbour4.LocalEndPoint), both.Nodes);
        Assert.Contains(new ContactInfo(neighbour6.Id, neighbour6.LocalEndPoint), both.Nodes);
        Assert.All(own.Nodes, node => Assert.Equal(AddressFamily.InterNetwork, node.EndPoint.AddressFamily));
        Assert.Contains(new ContactInfo(neighbour4.Id, neighbour4.LocalEndPoint), own.Nodes);
        Assert.All(only6.Nodes, node => Assert.Equal(AddressFamily.InterNetworkV6, node.EndPoint.AddressFamily));
        Assert.Contains(new ContactInfo(neighbour6.Id, neighbour6.LocalEndPoint), only6.Nodes);
    }

    [Fact]
    public async Task A_node_never_sends_to_the_other_family_and_ignores_its_contacts_in_answers()
    {
        using var cts = new CancellationTokenSource(Limit);
        var v4 = Start(IPAddress.Loopback);
        var v6 = Start(IPAddress.IPv6Loopback);

        Assert.Null(await v4.Endpoint.PingAsync(v6.LocalEndPoint, cts.Token));
        Assert.Null(await v6.Endpoint.PingAsync(v4.LocalEndPoint, cts.Token));
        Assert.Equal(0, v4.Endpoint.PendingRequests + v6.Endpoint.PendingRequests);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (socket, dht) in _nodes)
        {
            await dht.DisposeAsync();
            socket.Dispose();
        }
    }

    private MainlineDht Start(IPAddress address, NodeId? id = null)
    {
        var socket = UdpDatagramSocket.Bind(new IPEndPoint(address, 0));
        var dht = MainlineDht.Create(socket, new MainlineDhtOptions { AllowLan = true, RequestTimeout = TimeSpan.FromSeconds(2) }, TimeProvider.System, SecureRandomSource.Instance, id: id);
        dht.Start();
        _nodes.Add((socket, dht));
        return dht;
    }
}
