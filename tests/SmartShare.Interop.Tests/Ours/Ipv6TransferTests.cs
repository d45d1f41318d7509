using System.Net;
using System.Text.Json.Nodes;
using SmartShare.Interop.Tests.Clients;
using SmartShare.Node.Settings;

namespace SmartShare.Interop.Tests.Ours;

/// <summary>
/// BitTorrent over IPv6 loopback only: our nodes bound to ::1 (the bind setting names one IPv6 address, so they
/// listen on nothing else) transfer a torrent to each other by a magnet's <c>x.pe=[::1]:port</c>, and libtorrent
/// listening on [::1] downloads from our node and our node from it.
/// </summary>
public sealed class Ipv6TransferTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    private readonly InteropDirectory _directory = new();

    [Fact]
    public async Task Two_of_our_nodes_transfer_a_torrent_over_ipv6_loopback_from_a_magnets_bracketed_peer()
    {
        await using var seeder = await OurNode.StartAsync(_directory.Folder("seeder"), Ipv6Only);
        await using var leecher = await OurNode.StartAsync(_directory.Folder("leecher"), Ipv6Only);
        AssertOnlyIpv6Loopback(seeder);
        var source = TestFiles.WriteRandom(Path.Combine(_directory.Folder("share"), "v6.bin"), (2 << 20) + 333);
        var shared = await seeder.ShareTorrentAsync(source, _directory.File("v6.torrent"));
        var infoHash = shared["info_hash"]!.GetValue<string>();
        await seeder.WaitForSeedingAsync(infoHash, TimeSpan.FromSeconds(15));

        // The magnet's only way to the file is the seeder's [::1] address: no tracker, no DHT node.
        var magnet = $"magnet:?xt=urn:btih:{infoHash}&x.pe=[::1]:{seeder.BitTorrentEndPoint.Port}";
        await leecher.GetMagnetAsync(magnet);
        await leecher.WaitForCompletedAsync(infoHash, Limit, () => seeder.Describe());

        TestFiles.AssertSameFile(source, Path.Combine(leecher.Downloads, "v6.bin"));
    }

    [Fact]
    public async Task Two_of_our_nodes_on_ipv6_loopback_find_each_others_torrent_peer_through_the_mainline_dht()
    {
        // The seeder's DHT node is the leecher's only bootstrap node; the magnet has no x.pe, tracker or dht=.
        await using var seeder = await OurNode.StartAsync(_directory.Folder("seeder"), Ipv6Only);
        var seederDht = new IPEndPoint(IPAddress.IPv6Loopback, (await seeder.MainlineDhtStatusAsync())["port"]!.GetValue<int>());
        await using var leecher = await OurNode.StartAsync(_directory.Folder("leecher"), flags =>
        {
            Ipv6Only(flags);
            OurNode.MainlineBootstrap(seederDht)(flags);
        });
        var source = TestFiles.WriteRandom(Path.Combine(_directory.Folder("share"), "dht6.bin"), (1 << 20) + 99);
        var infoHash = (await seeder.ShareTorrentAsync(source, _directory.File("dht6.torrent")))["info_hash"]!.GetValue<string>();
        await seeder.WaitForSeedingAsync(infoHash, TimeSpan.FromSeconds(15));
        await leecher.WaitForMainlineDhtNodesAsync(1, Limit);

        await leecher.GetMagnetAsync($"magnet:?xt=urn:btih:{infoHash}");
        await leecher.WaitForCompletedAsync(infoHash, Limit, () => seeder.Describe());

        TestFiles.AssertSameFile(source, Path.Combine(leecher.Downloads, "dht6.bin"));
        var leecherDht = await leecher.MainlineDhtStatusAsync();
        Assert.True(leecherDht["nodes"]!.GetValue<int>() >= 1, $"the leecher's IPv6 table holds the seeder: {leecherDht.ToJsonString()}");
    }

    [Fact]
    public async Task Libtorrent_on_ipv6_loopback_downloads_a_torrent_from_our_node()
    {
        await using var node = await OurNode.StartAsync(_directory.Folder("ours"), Ipv6Only);
        var source = TestFiles.WriteRandom(Path.Combine(_directory.Folder("share"), "to-lt.bin"), (3 << 20) + 5);
        var torrent = _directory.File("to-lt.torrent");
        var infoHash = (await node.ShareTorrentAsync(source, torrent))["info_hash"]!.GetValue<string>();
        await node.WaitForSeedingAsync(infoHash, TimeSpan.FromSeconds(15));

        var downloads = _directory.Folder("libtorrent");
        await using var downloader = await LibtorrentPeer.StartListeningAsync(new LibtorrentOptions { TorrentPath = torrent, SavePath = downloads, Address = IPAddress.IPv6Loopback });
        Assert.Equal(IPAddress.IPv6Loopback, downloader.Endpoint.Address);
        downloader.ConnectPeer(node.BitTorrentEndPoint);
        try
        {
            await downloader.WaitForFinishedAsync(Limit);
        }
        catch (Xunit.Sdk.XunitException ex)
        {
            Assert.Fail(ex.Message + "\n" + node.Describe());
        }

        TestFiles.AssertSameFile(source, Path.Combine(downloads, "to-lt.bin"));
    }

    [Fact]
    public async Task Libtorrent_on_ipv6_loopback_finds_our_seeding_node_through_its_ipv6_mainline_dht()
    {
        // libtorrent's only way in is its DHT bootstrap node, our node's [::1] DHT socket: a bare magnet.
        await using var node = await OurNode.StartAsync(_directory.Folder("ours"), Ipv6Only);
        var ourDht = new IPEndPoint(IPAddress.IPv6Loopback, (await node.MainlineDhtStatusAsync())["port"]!.GetValue<int>());
        var source = TestFiles.WriteRandom(Path.Combine(_directory.Folder("share"), "lt-dht6.bin"), (2 << 20) + 41);
        var infoHash = (await node.ShareTorrentAsync(source, _directory.File("lt-dht6.torrent")))["info_hash"]!.GetValue<string>();
        await node.WaitForSeedingAsync(infoHash, TimeSpan.FromSeconds(15));

        var downloads = _directory.Folder("libtorrent");
        await using var downloader = await LibtorrentPeer.StartListeningAsync(new LibtorrentOptions
        {
            Magnet = $"magnet:?xt=urn:btih:{infoHash}",
            SavePath = downloads,
            Address = IPAddress.IPv6Loopback,
            Dht = true,
            DhtBootstrapNodes = [ourDht],
        });
        try
        {
            await downloader.WaitForFinishedAsync(Limit);
        }
        catch (Xunit.Sdk.XunitException ex)
        {
            Assert.Fail(ex.Message + "\n" + node.Describe());
        }

        TestFiles.AssertSameFile(source, Path.Combine(downloads, "lt-dht6.bin"));
        Assert.True((await node.MainlineDhtStatusAsync())["nodes"]!.GetValue<int>() >= 1, "libtorrent's IPv6 DHT node is in our table");
    }

    [Fact]
    public async Task Our_node_downloads_a_torrent_from_libtorrent_seeding_on_ipv6_loopback()
    {
        var seedFolder = _directory.Folder("seed");
        var source = TestFiles.WriteRandom(Path.Combine(seedFolder, "from-lt.bin"), (3 << 20) + 17);
        var torrent = await MkTorrent.CreateAsync(source, _directory.File("from-lt.torrent"));
        var infoHash = MkTorrent.InfoHashOf(torrent).ToString();
        await using var seeder = await LibtorrentPeer.StartListeningAsync(new LibtorrentOptions { Seed = true, TorrentPath = torrent, SavePath = seedFolder, Address = IPAddress.IPv6Loopback });
        await seeder.WaitForFinishedAsync(TimeSpan.FromSeconds(15));
        await using var node = await OurNode.StartAsync(_directory.Folder("ours"), Ipv6Only);

        await node.GetTorrentAsync(torrent, [seeder.Endpoint]);
        await node.WaitForCompletedAsync(infoHash, Limit, seeder.Describe);

        Assert.Equal("[::1]", seeder.Endpoint.ToString()[..5]);
        TestFiles.AssertSameFile(source, Path.Combine(node.Downloads, "from-lt.bin"));
    }

    public void Dispose() => _directory.Dispose();

    private static void Ipv6Only(Dictionary<string, JsonNode?> flags) => flags[NodeSettingKeys.BindAddress] = "::1";

    private static void AssertOnlyIpv6Loopback(OurNode node) =>
        Assert.All(node.Host.Networks.SelectMany(network => network.EndPoints), endPoint => Assert.Equal(IPAddress.IPv6Loopback, endPoint.EndPoint.Address));
}
