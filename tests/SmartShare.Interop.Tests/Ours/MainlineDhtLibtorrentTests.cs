using System.Net;
using SmartShare.BitTorrent;
using SmartShare.BitTorrent.Dht;
using SmartShare.Interop.Tests.Clients;
using SmartShare.Networking;

namespace SmartShare.Interop.Tests.Ours;

/// <summary>
/// Our Mainline DHT (SmartShare.BitTorrent's <see cref="MainlineDht"/>, without the node around it) against
/// libtorrent's DHT on loopback: joining through a libtorrent node, being joined by one, finding a libtorrent
/// seeder's announce with get_peers, and a libtorrent node accepting our announce_peer (our token round trip).
/// These pin the KRPC interop apart from the node integration, which <see cref="MagnetDhtTests"/> covers.
/// </summary>
public sealed class MainlineDhtLibtorrentTests : IAsyncDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    private readonly InteropDirectory _directory = new();
    private readonly List<(UdpDatagramSocket Socket, MainlineDht Dht)> _ours = [];
    private readonly List<string> _log = [];

    [Fact]
    public async Task Our_dht_joins_through_a_libtorrent_node_and_a_libtorrent_node_joins_through_ours()
    {
        await using var bootstrap = await LibtorrentDhtNodes.StartAsync();
        var ours = StartOurs(bootstrap.Endpoint);
        using (var limit = new CancellationTokenSource(Limit))
        {
            Assert.True(await ours.BootstrapAsync([], limit.Token), $"Our DHT did not join through libtorrent's {bootstrap.Endpoint}.\n{Log()}\n{bootstrap.Describe()}");
        }

        Assert.True(ours.NodeCount >= 1, $"Our routing table is empty after joining.\n{Log()}");
        await bootstrap.WaitForRoutingTableAsync(1, Limit, Log);

        // A second libtorrent node whose only bootstrap is us: libtorrent never puts its bootstrap ("router")
        // nodes into its routing table, so the node it ends up knowing is the first one, learnt from our
        // find_node answer.
        await using var joiner = await LibtorrentDhtNodes.StartAsync(bootstrap: [ours.LocalEndPoint]);
        await joiner.WaitForRoutingTableAsync(1, Limit, Log);
    }

    [Fact]
    public async Task Our_dht_finds_a_libtorrent_seeder_by_get_peers()
    {
        var seedFolder = _directory.Folder("seed");
        var source = TestFiles.WriteRandom(Path.Combine(seedFolder, "peers.bin"), 70_000);
        var torrent = await MkTorrent.CreateAsync(source, _directory.File("peers.torrent"), pieceLengthLog2: 15);
        var infoHash = MkTorrent.InfoHashOf(torrent);

        await using var bootstrap = await LibtorrentDhtNodes.StartAsync();
        await using var seeder = await LibtorrentPeer.StartListeningAsync(new LibtorrentOptions
        {
            Seed = true,
            TorrentPath = torrent,
            SavePath = seedFolder,
            Dht = true,
            DhtBootstrapNodes = [bootstrap.Endpoint],
        });
        await Waiting.UntilAsync(
            () => bootstrap.Announces.Any(announce => announce.InfoHash == infoHash.ToString()),
            $"the libtorrent seeder announces {infoHash} to the libtorrent DHT node",
            Limit,
            () => seeder.Describe() + "\n" + bootstrap.Describe());

        var ours = StartOurs(bootstrap.Endpoint);
        using var limit = new CancellationTokenSource(Limit);
        Assert.True(await ours.BootstrapAsync([], limit.Token), $"Our DHT did not join.\n{Log()}");
        var peers = await ours.GetPeersAsync(infoHash, limit.Token);
        Assert.True(
            peers.Contains(seeder.Endpoint),
            $"get_peers for {infoHash} found [{string.Join(", ", peers)}], not the seeder {seeder.Endpoint}.\n{Log()}\n{bootstrap.Describe()}");
    }

    [Fact]
    public async Task A_libtorrent_node_accepts_our_announce_peer()
    {
        await using var nodes = await LibtorrentDhtNodes.StartAsync(count: 3);
        var ours = StartOurs(nodes.Endpoint);
        using var limit = new CancellationTokenSource(Limit);
        Assert.True(await ours.BootstrapAsync([], limit.Token), $"Our DHT did not join.\n{Log()}");

        var infoHash = InfoHash.Compute("smartshare interop announce"u8);
        const int Port = 45_678;
        var accepted = await ours.AnnounceAsync(infoHash, Port, limit.Token);
        Assert.True(accepted >= 1, $"No libtorrent node accepted our announce_peer for {infoHash}.\n{Log()}\n{nodes.Describe()}");
        await Waiting.UntilAsync(
            () => nodes.Announces.Any(announce => announce.InfoHash == infoHash.ToString() && announce.Peer.Port == Port),
            $"a libtorrent node stores our announce of {infoHash} on port {Port}",
            Limit,
            () => $"announces seen: [{string.Join(", ", nodes.Announces)}]\n{Log()}\n{nodes.Describe()}");
        Assert.Contains(nodes.Announces, announce => announce.InfoHash == infoHash.ToString() && announce.Peer.Address.Equals(IPAddress.Loopback));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (socket, dht) in _ours)
        {
            await dht.DisposeAsync();
            socket.Dispose();
        }

        _directory.Dispose();
    }

    private MainlineDht StartOurs(params IPEndPoint[] bootstrap)
    {
        var socket = UdpDatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var dht = MainlineDht.Create(
            socket,
            new MainlineDhtOptions { AllowLan = true, Bootstrap = bootstrap, RequestTimeout = TimeSpan.FromSeconds(2) },
            TimeProvider.System,
            SecureRandomSource.Instance,
            message =>
            {
                lock (_log)
                {
                    _log.Add(message);
                }
            });
        dht.Start();
        _ours.Add((socket, dht));
        return dht;
    }

    private string Log()
    {
        lock (_log)
        {
            return $"--- our DHT ({string.Join(", ", _ours.Select(node => node.Dht.LocalEndPoint))}), last log lines:\n{string.Join('\n', _log.TakeLast(40))}";
        }
    }
}
