using System.Net;
using System.Text.Json.Nodes;
using SmartShare.Interop.Tests.Clients;

namespace SmartShare.Interop.Tests.Ours;

/// <summary>
/// Trackerless BitTorrent (issue 7) against libtorrent and aria2: magnet links (BEP 9, ut_metadata) whose peers
/// are found through the Mainline DHT (BEP 5) alone, or through the magnet's x.pe. Everything is on loopback; every
/// client has its own 127.0.0.x address. The tests of one class run one after another (two shared cores).
/// </summary>
public sealed class MagnetDhtTests : IDisposable
{
    private static readonly TimeSpan MetadataLimit = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan DownloadLimit = TimeSpan.FromSeconds(30);

    private readonly InteropDirectory _directory = new();

    /// <summary>
    /// (a) A pure libtorrent DHT node is the bootstrap of a libtorrent seeder and of our node; the seeder announces;
    /// our node gets the magnet (xt and dn only: no peer, no tracker) by the DHT alone. Three DHT nodes, because
    /// a libtorrent node never answers get_peers with itself (facts point 10): the bootstrap holds the announce.
    /// </summary>
    [Fact]
    public async Task Our_node_downloads_a_magnet_whose_seeder_it_finds_through_the_dht()
    {
        var seedFolder = _directory.Folder("seed");
        var source = TestFiles.WriteRandom(Path.Combine(seedFolder, "dht.bin"), (2 << 20) + 4321);
        var torrent = await MkTorrent.CreateAsync(source, _directory.File("dht.torrent"), pieceLengthLog2: 16);
        var infoHash = MkTorrent.InfoHashOf(torrent).ToString();
        var magnet = $"magnet:?xt=urn:btih:{infoHash}&dn=dht.bin";

        await using var bootstrap = await LibtorrentDhtNodes.StartAsync();
        await using var seeder = await LibtorrentPeer.StartListeningAsync(new LibtorrentOptions
        {
            Seed = true,
            TorrentPath = torrent,
            SavePath = seedFolder,
            Dht = true,
            DhtBootstrapNodes = [bootstrap.Endpoint],
        });
        await seeder.WaitForFinishedAsync(TimeSpan.FromSeconds(15));
        await bootstrap.WaitForRoutingTableAsync(1, TimeSpan.FromSeconds(15), seeder.Describe);

        await using var node = await OurNode.StartAsync(_directory.Folder("ours"), OurNode.MainlineBootstrap(bootstrap.Endpoint));
        string Others() => seeder.Describe() + "\n" + bootstrap.Describe();
        await node.WaitForMainlineDhtNodesAsync(1, TimeSpan.FromSeconds(15), Others);

        await node.GetMagnetAsync(magnet);
        var statuses = await WaitForMetadataAsync(node, infoHash, Others);
        var done = await node.WaitForCompletedAsync(infoHash, DownloadLimit, () => $"statuses seen: {string.Join(" > ", statuses)}\n{Others()}");

        var path = Path.Combine(node.Downloads, "dht.bin");
        Assert.Equal(path, done["download_path"]?.GetValue<string>());
        TestFiles.AssertSameFile(source, path);
        Assert.True(done["pieces_have"]?.GetValue<int>() == 33, $"file_list's pieces_have should be 33 (2 MiB + 4321 B in 64 KiB pieces): {done.ToJsonString()}");
    }

    /// <summary>
    /// (b) Our node seeds a file (stream_create torrent) and announces it; libtorrent downloads our magnet without
    /// x.pe, tr or dht=, its only DHT bootstrap node being our node. With <paramref name="thirdNode"/> false, our
    /// node is the only other DHT node libtorrent can reach, so our node must answer get_peers for a torrent it
    /// seeds with its own address (a libtorrent node never does that, facts point 10, but nothing forbids it).
    /// With <paramref name="thirdNode"/> true our node joins through a pure libtorrent DHT node first and announces
    /// to it, and libtorrent, finding that node through our find_node answers, can also get our address from it.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Libtorrent_downloads_our_magnet_through_the_dht_bootstrapped_from_our_node(bool thirdNode)
    {
        await using var third = thirdNode ? await LibtorrentDhtNodes.StartAsync() : null;
        await using var node = await OurNode.StartAsync(_directory.Folder("ours"), third is null ? null : OurNode.MainlineBootstrap(third.Endpoint));
        string Third() => third?.Describe() ?? "(no third DHT node)";
        if (third is not null)
        {
            await node.WaitForMainlineDhtNodesAsync(1, TimeSpan.FromSeconds(15), Third);
        }

        var ourDht = await node.MainlineDhtEndPointAsync();
        var (source, infoHash, magnet) = await ShareAsync(node, "ours-dht.bin", (3 << 20) + 999);
        AssertMagnetNames(magnet, "dht", ourDht, node);

        // No peer address, no tracker and no DHT node in the link: libtorrent's only way in is its bootstrap node.
        var trackerless = Magnets.Without(magnet, "x.pe", "tr", "dht");

        var downloads = _directory.Folder("libtorrent");
        await using var downloader = await LibtorrentPeer.StartListeningAsync(new LibtorrentOptions
        {
            Magnet = trackerless,
            SavePath = downloads,
            Dht = true,
            DhtBootstrapNodes = [ourDht],
        });
        await WaitForLibtorrentAsync(downloader, node, TimeSpan.FromSeconds(45), Third);

        TestFiles.AssertSameFile(source, Path.Combine(downloads, "ours-dht.bin"));
        Assert.Equal(infoHash, downloader.InfoHash);
    }

    /// <summary>(c) libtorrent, DHT off, downloads our magnet through its x.pe alone, the metadata coming from us (BEP 9).</summary>
    [Fact]
    public async Task Libtorrent_downloads_our_magnet_from_its_peer_address_with_the_metadata_from_us()
    {
        await using var node = await OurNode.StartAsync(_directory.Folder("ours"));
        var (source, infoHash, magnet) = await ShareAsync(node, "ours-xpe.bin", (2 << 20) + 77);
        AssertMagnetNames(magnet, "x.pe", node.BitTorrentEndPoint, node);

        // libtorrent 2.0 parses x.pe (and dht=) values as written, without percent-decoding them: an endpoint
        // written as 127.0.0.1%3A6881 is no peer to it, and it would wait for metadata forever.
        var written = Magnets.RawValues(magnet, "x.pe");
        Assert.True(
            written.Contains(node.BitTorrentEndPoint.ToString()),
            $"libtorrent reads x.pe without percent-decoding, so it finds no peer in our magnet's x.pe = [{string.Join(", ", written)}]: "
            + $"write {node.BitTorrentEndPoint} with its ':' unescaped (and dht= likewise). Magnet: {magnet}");

        var downloads = _directory.Folder("libtorrent");
        await using var downloader = await LibtorrentPeer.StartListeningAsync(new LibtorrentOptions
        {
            Magnet = magnet,
            SavePath = downloads,
            Dht = false,
        });
        await WaitForLibtorrentAsync(downloader, node, TimeSpan.FromSeconds(30));

        TestFiles.AssertSameFile(source, Path.Combine(downloads, "ours-xpe.bin"));
        Assert.Equal(infoHash, downloader.InfoHash);
    }

    /// <summary>
    /// (d) aria2c gets our magnet (without x.pe, which aria2 ignores anyway, facts point 9) through the DHT, its
    /// entry point and only DHT contact being our DHT node, which must answer aria2's get_peers with its own address.
    /// aria2 is slow to find peers through a loopback DHT (about 20 s): 60 s allowed.
    /// </summary>
    [Fact]
    public async Task Aria2_downloads_our_magnet_through_our_dht_node()
    {
        await using var node = await OurNode.StartAsync(_directory.Folder("ours"));
        var ourDht = await node.MainlineDhtEndPointAsync();
        var (source, _, magnet) = await ShareAsync(node, "ours-aria2.bin", (2 << 20) + 5);

        var downloads = _directory.Folder("aria2");
        await using var aria2 = Aria2.Start(Magnets.Without(magnet, "x.pe", "tr", "dht"), downloads, dhtEntryPoint: ourDht);
        try
        {
            await aria2.WaitForSuccessAsync(TimeSpan.FromSeconds(60));
        }
        catch (Exception ex) when (ex is Xunit.Sdk.XunitException)
        {
            Assert.Fail(ex.Message + "\n" + node.Describe());
        }

        TestFiles.AssertSameFile(source, Path.Combine(downloads, "ours-aria2.bin"));
    }

    /// <summary>
    /// (e) With no advertise given, a node bound to 127.0.0.1 must not put other addresses of the machine into its
    /// magnet: it listens on 127.0.0.1 alone, so x.pe and dht= naming the interfaces' addresses lead nowhere.
    /// </summary>
    [Fact]
    public async Task Our_magnet_names_the_address_our_node_is_bound_to()
    {
        await using var node = await OurNode.StartAsync(_directory.Folder("ours"));
        var ourDht = await node.MainlineDhtEndPointAsync();
        var (_, _, magnet) = await ShareAsync(node, "ours-bound.bin", 100_000, advertiseLoopback: false);
        AssertMagnetNames(magnet, "x.pe", node.BitTorrentEndPoint, node);
        AssertMagnetNames(magnet, "dht", ourDht, node);
    }

    public void Dispose() => _directory.Dispose();

    /// <summary>
    /// Shares a fresh random file as a torrent, waits until our node seeds it and returns its magnet. By default
    /// stream_create is told to advertise 127.0.0.1 (where the node listens), so x.pe and dht= name loopback
    /// endpoints whatever other interfaces the machine has; (e) checks the node's own choice.
    /// </summary>
    private async Task<(string Source, string InfoHash, string Magnet)> ShareAsync(OurNode node, string name, long size, bool advertiseLoopback = true)
    {
        var source = TestFiles.WriteRandom(Path.Combine(_directory.Folder("share"), name), size);
        var shared = await node.ShareTorrentAsync(source, _directory.File(name + ".torrent"), advertise: advertiseLoopback ? ["127.0.0.1"] : null);
        var infoHash = shared["info_hash"]?.GetValue<string>();
        var magnet = shared["magnet"]?.GetValue<string>();
        Assert.True(infoHash is not null && magnet is not null, $"stream_create with torrent answered no info_hash or magnet: {shared.ToJsonString()}\n{node.Describe()}");
        Assert.True(
            Magnets.Values(magnet, "xt").Contains("urn:btih:" + infoHash, StringComparer.OrdinalIgnoreCase),
            $"stream_create's magnet does not name urn:btih:{infoHash}: {magnet}");
        await node.WaitForSeedingAsync(infoHash, TimeSpan.FromSeconds(15));
        return (source, infoHash, magnet);
    }

    private static void AssertMagnetNames(string magnet, string key, IPEndPoint expected, OurNode node)
    {
        var values = Magnets.Values(magnet, key);
        Assert.True(
            values.Contains(expected.ToString()),
            $"stream_create's magnet should carry {key}={expected}; it has {key} = [{string.Join(", ", values)}]: {magnet}\n{node.Describe()}");
    }

    /// <summary>
    /// Waits until our node's file_list shows the magnet past "metadata" (the info dictionary arrived and was
    /// verified), failing with what was seen; returns the statuses seen in order.
    /// </summary>
    private static async Task<List<string>> WaitForMetadataAsync(OurNode node, string infoHash, Func<string> others)
    {
        var statuses = new List<string>();
        JsonObject? last = null;
        await Waiting.UntilAsync(
            async () =>
            {
                last = await node.TorrentAsync(infoHash);
                var status = last["status"]?.GetValue<string>() ?? "(none)";
                if (statuses.Count == 0 || statuses[^1] != status)
                {
                    statuses.Add(status);
                }

                Assert.False(status is "stopped" or "failed", $"Our node's magnet {infoHash} is {status}: {last.ToJsonString()}\n{node.Describe()}\n{others()}");
                return status != "metadata";
            },
            $"our node has the metadata of {infoHash} (file_list status past \"metadata\")",
            MetadataLimit,
            () => $"statuses seen: {string.Join(" > ", statuses)}; last file_list entry: {last?.ToJsonString()}\n{node.Describe()}\n{others()}");
        return statuses;
    }

    private static async Task WaitForLibtorrentAsync(LibtorrentPeer downloader, OurNode node, TimeSpan limit, Func<string>? others = null)
    {
        try
        {
            await downloader.WaitForFinishedAsync(limit);
        }
        catch (Exception ex) when (ex is Xunit.Sdk.XunitException)
        {
            Assert.Fail(ex.Message + "\n" + node.Describe() + (others is null ? "" : "\n" + others()));
        }
    }
}
