using SmartShare.Interop.Tests.Clients;

namespace SmartShare.Interop.Tests.Harness;

/// <summary>
/// Harness self-test of the trackerless fixtures, libtorrent only: a pure DHT node is the bootstrap, a seeder
/// announces to the DHT, and a downloader given nothing but the magnet link (xt and dn) finds the seeder through
/// the DHT, fetches the metadata (BEP 9) and the file. Three nodes, because a libtorrent node never answers
/// get_peers with itself (facts point 10).
/// </summary>
public sealed class TrackerlessTests : IDisposable
{
    private readonly InteropDirectory _directory = new();

    [Fact]
    public async Task Libtorrent_downloads_a_magnet_link_found_through_the_dht_alone()
    {
        var seedFolder = _directory.Folder("seed");
        var source = TestFiles.WriteRandom(Path.Combine(seedFolder, "dht.bin"), (1 << 20) + 4321);
        var torrent = await MkTorrent.CreateAsync(source, _directory.File("dht.torrent"), pieceLengthLog2: 15);
        var magnet = $"magnet:?xt=urn:btih:{MkTorrent.InfoHashOf(torrent)}&dn=dht.bin";

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

        var downloads = _directory.Folder("downloads");
        await using var downloader = await LibtorrentPeer.StartListeningAsync(new LibtorrentOptions
        {
            Magnet = magnet,
            SavePath = downloads,
            Dht = true,
            DhtBootstrapNodes = [bootstrap.Endpoint],
        });
        try
        {
            await downloader.WaitForFinishedAsync(TimeSpan.FromSeconds(40));
        }
        catch (Exception ex) when (ex is Xunit.Sdk.XunitException)
        {
            Assert.Fail(ex.Message + "\n" + seeder.Describe() + "\n" + bootstrap.Describe());
        }

        TestFiles.AssertSameFile(source, Path.Combine(downloads, "dht.bin"));
    }

    /// <summary>
    /// aria2c with the DHT on, its entry point a pure libtorrent DHT node, gets a magnet a libtorrent seeder
    /// announced: proves aria2's loopback DHT flags before the same is asked of our DHT node (aria2 is slow to
    /// find peers through a loopback DHT, facts point 9: 60 s allowed).
    /// </summary>
    [Fact]
    public async Task Aria2_downloads_a_magnet_link_found_through_a_libtorrent_dht_node()
    {
        var seedFolder = _directory.Folder("seed");
        var source = TestFiles.WriteRandom(Path.Combine(seedFolder, "aria2-dht.bin"), (1 << 20) + 17);
        var torrent = await MkTorrent.CreateAsync(source, _directory.File("aria2-dht.torrent"), pieceLengthLog2: 15);
        var magnet = $"magnet:?xt=urn:btih:{MkTorrent.InfoHashOf(torrent)}&dn=aria2-dht.bin";

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

        var downloads = _directory.Folder("aria2");
        await using var aria2 = Aria2.Start(magnet, downloads, dhtEntryPoint: bootstrap.Endpoint);
        try
        {
            await aria2.WaitForSuccessAsync(TimeSpan.FromSeconds(60));
        }
        catch (Exception ex) when (ex is Xunit.Sdk.XunitException)
        {
            Assert.Fail(ex.Message + "\n" + seeder.Describe() + "\n" + bootstrap.Describe());
        }

        TestFiles.AssertSameFile(source, Path.Combine(downloads, "aria2-dht.bin"));
    }

    public void Dispose() => _directory.Dispose();
}
