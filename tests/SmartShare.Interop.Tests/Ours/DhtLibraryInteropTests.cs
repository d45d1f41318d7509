using System.Net;
using SmartShare.BitTorrent;
using SmartShare.BitTorrent.Dht;
using SmartShare.Interop.Tests.Clients;
using SmartShare.Networking;

namespace SmartShare.Interop.Tests.Ours;

/// <summary>
/// Our Mainline DHT nodes and libtorrent's DHT in one loopback network. libtorrent never returns itself from
/// get_peers (facts point 10), so peers are stored at, and found through, nodes other than the one announcing.
/// libtorrent's bootstrap list names only our loopback nodes, and its per-IP limits are relaxed (point 4).
/// </summary>
public sealed class DhtLibraryInteropTests : IAsyncDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(25);

    private readonly InteropDirectory _directory = new();
    private readonly List<(UdpDatagramSocket Socket, MainlineDht Dht)> _nodes = [];

    [Fact]
    public async Task Our_node_finds_a_libtorrent_seeder_that_announced_through_our_nodes()
    {
        using var cts = new CancellationTokenSource(Limit);
        var router = StartOurs();
        for (var i = 0; i < 3; i++)
        {
            Assert.True(await StartOurs().BootstrapAsync([router.LocalEndPoint], cts.Token));
        }

        var source = TestFiles.WriteRandom(Path.Combine(_directory.Folder("share"), "dht.bin"), 100_000);
        var torrent = _directory.File("dht.torrent");
        await MkTorrent.CreateAsync(source, torrent);
        var infoHash = MkTorrent.InfoHashOf(torrent);
        await using var seeder = await LibtorrentPeer.StartListeningAsync(new LibtorrentOptions
        {
            Seed = true,
            TorrentPath = torrent,
            SavePath = _directory.Folder("share"),
            Dht = true,
            DhtBootstrapNodes = [router.LocalEndPoint],
        });

        var finder = StartOurs();
        Assert.True(await finder.BootstrapAsync([router.LocalEndPoint], cts.Token));
        var expected = seeder.Endpoint;
        IReadOnlyList<IPEndPoint> found = [];
        await Waiting.UntilAsync(
            async () => (found = await finder.GetPeersAsync(infoHash, cts.Token)).Contains(expected),
            $"our DHT lookup finds the libtorrent seeder {expected}",
            Limit,
            () => $"found [{string.Join(", ", found)}]; routing tables: {string.Join(", ", _nodes.Select(n => n.Dht.NodeCount))}\n{seeder.Describe()}");

        // libtorrent talked to us (find_node/get_peers/announce_peer) and answered our queries: it is in our tables.
        Assert.Contains(_nodes, node => node.Dht.Engine.RoutingTable.FindByEndPoint(expected) is not null);
    }

    [Fact]
    public async Task A_libtorrent_lookup_finds_the_peer_our_node_announced()
    {
        using var cts = new CancellationTokenSource(Limit);
        var router = StartOurs();
        for (var i = 0; i < 3; i++)
        {
            Assert.True(await StartOurs().BootstrapAsync([router.LocalEndPoint], cts.Token));
        }

        var infoHash = InfoHash.Compute("announced by SmartShare"u8);
        var other = InfoHash.Compute("what libtorrent is busy with"u8);
        await using var libtorrent = await LibtorrentPeer.StartListeningAsync(new LibtorrentOptions
        {
            Magnet = $"magnet:?xt=urn:btih:{other}",
            SavePath = _directory.Folder("libtorrent"),
            Dht = true,
            DhtBootstrapNodes = [router.LocalEndPoint],
        });

        // Our announcing node joins through libtorrent's DHT node alone: libtorrent answers our find_node and
        // ping, and its answers lead us on to the rest of the network.
        var announcer = StartOurs();
        Assert.True(await announcer.BootstrapAsync([libtorrent.Endpoint], cts.Token), "our node joins through libtorrent's DHT node");
        await announcer.AddNodeAsync(libtorrent.Endpoint, cts.Token);
        Assert.NotNull(announcer.Engine.RoutingTable.FindByEndPoint(libtorrent.Endpoint));

        // libtorrent never answers get_peers from its own store (facts point 10), so the announce must also reach a
        // node libtorrent asks: its bootstrap. On a loaded machine libtorrent may not yet have told us of it (the
        // clean-clone run once announced to libtorrent alone), so it is added here rather than hoped for.
        await announcer.AddNodeAsync(router.LocalEndPoint, cts.Token);
        Assert.NotNull(announcer.Engine.RoutingTable.FindByEndPoint(router.LocalEndPoint));
        Assert.True(await announcer.AnnounceAsync(infoHash, 40_000, cts.Token) >= 2);

        var expected = new IPEndPoint(IPAddress.Loopback, 40_000);
        var asked = DateTime.MinValue;
        await Waiting.UntilAsync(
            () =>
            {
                if (DateTime.UtcNow - asked > TimeSpan.FromSeconds(2))
                {
                    // libtorrent may still be bootstrapping: ask again every 2 s until a reply names us.
                    asked = DateTime.UtcNow;
                    libtorrent.DhtGetPeers(infoHash.ToString());
                }

                return libtorrent.DhtPeers.Contains(expected);
            },
            $"libtorrent's dht_get_peers returns our announced peer {expected}",
            Limit,
            () => $"libtorrent found [{string.Join(", ", libtorrent.DhtPeers)}]\n{libtorrent.Describe()}");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (socket, dht) in _nodes)
        {
            await dht.DisposeAsync();
            socket.Dispose();
        }

        _directory.Dispose();
    }

    private MainlineDht StartOurs()
    {
        var socket = UdpDatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var dht = MainlineDht.Create(
            socket,
            new MainlineDhtOptions { AllowLan = true, RequestTimeout = TimeSpan.FromSeconds(2) },
            TimeProvider.System,
            SecureRandomSource.Instance);
        dht.Start();
        _nodes.Add((socket, dht));
        return dht;
    }
}
