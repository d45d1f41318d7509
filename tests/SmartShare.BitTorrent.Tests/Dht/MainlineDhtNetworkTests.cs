using System.Net;
using SmartShare.BitTorrent.Dht;
using SmartShare.Networking;

namespace SmartShare.BitTorrent.Tests.Dht;

/// <summary>Real Mainline DHT nodes on loopback UDP sockets, in real time.</summary>
public sealed class MainlineDhtNetworkTests : IAsyncDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private readonly List<(UdpDatagramSocket Socket, MainlineDht Dht)> _nodes = [];

    [Fact]
    public async Task Twenty_two_nodes_join_through_one_and_a_peer_announced_by_one_is_found_by_another()
    {
        using var cts = new CancellationTokenSource(Limit);
        var bootstrap = Start();
        for (var i = 0; i < 21; i++)
        {
            var node = Start();
            Assert.True(await node.BootstrapAsync([bootstrap.LocalEndPoint], cts.Token), $"node {i} joined");
        }

        Assert.All(_nodes, node => Assert.True(node.Dht.NodeCount > 0));
        var infoHash = InfoHash.Compute("twenty nodes"u8);
        var announcer = _nodes[7].Dht;
        var finder = _nodes[18].Dht;

        var accepted = await announcer.AnnounceAsync(infoHash, 51413, cts.Token);
        Assert.True(accepted >= 1, $"{accepted} nodes accepted the announce");

        var early = new List<IPEndPoint>();
        var peers = await finder.GetPeersAsync(infoHash, cts.Token, batch =>
        {
            lock (early)
            {
                early.AddRange(batch);
            }
        });

        var expected = new IPEndPoint(IPAddress.Loopback, 51413);
        Assert.Equal([expected], peers);
        Assert.Equal([expected], early);

        // implied_port: the nodes store the announcer's UDP port.
        var implied = InfoHash.Compute("implied"u8);
        Assert.True(await announcer.AnnounceAsync(implied, 0, cts.Token) >= 1);
        Assert.Equal([announcer.LocalEndPoint], await finder.GetPeersAsync(implied, cts.Token));
    }

    [Fact]
    public async Task A_node_restarted_from_saved_contacts_rejoins_without_a_bootstrap_node()
    {
        using var cts = new CancellationTokenSource(Limit);
        var directory = Directory.CreateTempSubdirectory("smartshare-dht-");
        try
        {
            var bootstrap = Start();
            for (var i = 0; i < 5; i++)
            {
                Assert.True(await Start().BootstrapAsync([bootstrap.LocalEndPoint], cts.Token));
            }

            var leaving = Start();
            Assert.True(await leaving.BootstrapAsync([bootstrap.LocalEndPoint], cts.Token));
            var saved = leaving.ExportContacts();
            Assert.NotEmpty(saved);
            var path = Path.Combine(directory.FullName, "node.db");
            MainlineDhtNodeStore.Open(path).Save(saved);

            var loaded = MainlineDhtNodeStore.Open(path).Load();
            Assert.Equal(
                saved.Select(c => (c.Id, c.EndPoint, c.LastReplied.ToUnixTimeSeconds())).OrderBy(c => c.EndPoint.Port),
                loaded.Select(c => (c.Id, c.EndPoint, c.LastReplied.ToUnixTimeSeconds())).OrderBy(c => c.EndPoint.Port));

            var restarted = Start();
            restarted.ImportContacts(loaded);
            Assert.True(await restarted.BootstrapAsync([], cts.Token));
            Assert.True(restarted.NodeCount >= loaded.Count, $"{restarted.NodeCount} nodes after importing {loaded.Count}");
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void The_node_store_keeps_at_most_200_contacts_most_recent_first()
    {
        var directory = Directory.CreateTempSubdirectory("smartshare-dht-");
        try
        {
            var store = MainlineDhtNodeStore.Open(Path.Combine(directory.FullName, "node.db"));
            var start = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
            var contacts = Enumerable.Range(1, 250)
                .Select(i => new MainlineDhtContact(Kademlia.NodeId.Random(20, SecureRandomSource.Instance), new IPEndPoint(IPAddress.Parse("10.0.0.1"), i), start.AddSeconds(i)))
                .ToList();
            store.Save(contacts);
            store.Save(contacts.Take(240));

            var loaded = store.Load();
            Assert.Equal(200, loaded.Count);
            Assert.Equal(240, loaded[0].EndPoint.Port);
            Assert.Equal(41, loaded[^1].EndPoint.Port);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            directory.Delete(recursive: true);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (socket, dht) in _nodes)
        {
            await dht.DisposeAsync();
            socket.Dispose();
        }
    }

    private MainlineDht Start()
    {
        var socket = UdpDatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var dht = MainlineDht.Create(socket, new MainlineDhtOptions { AllowLan = true, RequestTimeout = TimeSpan.FromSeconds(2) }, TimeProvider.System, SecureRandomSource.Instance);
        dht.Start();
        _nodes.Add((socket, dht));
        return dht;
    }
}
