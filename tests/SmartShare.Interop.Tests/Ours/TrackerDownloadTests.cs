using SmartShare.Interop.Tests.Clients;

namespace SmartShare.Interop.Tests.Ours;

/// <summary>Our node downloads from a libtorrent seeder that it finds only through opentracker: by .torrent, and by a magnet whose only source is its tr=.</summary>
public sealed class TrackerDownloadTests : IDisposable
{
    private readonly InteropDirectory _directory = new();

    [Fact]
    public async Task Our_node_downloads_from_a_libtorrent_seeder_found_through_opentracker()
    {
        await using var tracker = await OpenTracker.StartAsync();
        var seedFolder = _directory.Folder("seed");
        var source = TestFiles.WriteRandom(Path.Combine(seedFolder, "payload.bin"), (5 << 20) + 12_345);
        var torrent = await MkTorrent.CreateAsync(source, _directory.File("payload.torrent"), tracker.AnnounceUrl, pieceLengthLog2: 16);
        var infoHash = MkTorrent.InfoHashOf(torrent);
        await tracker.AllowAsync(infoHash);

        await using var seeder = await LibtorrentPeer.StartListeningAsync(new LibtorrentOptions { Seed = true, TorrentPath = torrent, SavePath = seedFolder });
        await seeder.WaitForFinishedAsync(TimeSpan.FromSeconds(15));
        await tracker.WaitForSeedersAsync(infoHash, 1, TimeSpan.FromSeconds(15));

        await using var node = await OurNode.StartAsync(_directory.Folder("ours"));
        var answer = await node.GetTorrentAsync(torrent);
        Assert.Equal(infoHash.ToString(), answer["info_hash"]!.GetValue<string>());
        Assert.Equal(new FileInfo(source).Length, answer["bytes_total"]!.GetValue<long>());

        var done = await node.WaitForCompletedAsync(infoHash.ToString(), TimeSpan.FromSeconds(40), () => seeder.Describe() + "\n" + tracker.Describe());
        var path = done["download_path"]!.GetValue<string>();
        Assert.Equal(Path.Combine(node.Downloads, "payload.bin"), path);
        TestFiles.AssertSameFile(source, path);
        Assert.Equal(new FileInfo(source).Length, done["bytes_have"]!.GetValue<long>());
    }

    [Fact]
    public async Task Our_node_fetches_a_magnets_metadata_from_a_seeder_named_only_by_its_tracker()
    {
        await using var tracker = await OpenTracker.StartAsync();
        var seedFolder = _directory.Folder("seed");
        var source = TestFiles.WriteRandom(Path.Combine(seedFolder, "tracked.bin"), (2 << 20) + 77);
        var torrent = await MkTorrent.CreateAsync(source, _directory.File("tracked.torrent"), tracker.AnnounceUrl, pieceLengthLog2: 16);
        var infoHash = MkTorrent.InfoHashOf(torrent);
        await tracker.AllowAsync(infoHash);
        await using var seeder = await LibtorrentPeer.StartListeningAsync(new LibtorrentOptions { Seed = true, TorrentPath = torrent, SavePath = seedFolder });
        await seeder.WaitForFinishedAsync(TimeSpan.FromSeconds(15));
        await tracker.WaitForSeedersAsync(infoHash, 1, TimeSpan.FromSeconds(15));

        // No DHT and no x.pe: the tracker in the link is the only way to the seeder, before and after the metadata.
        await using var node = await OurNode.StartAsync(_directory.Folder("ours"), flags => flags[SmartShare.Node.Settings.NodeSettingKeys.BtDht] = false);
        var magnet = $"magnet:?xt=urn:btih:{infoHash}&dn=tracked.bin&tr={Uri.EscapeDataString(tracker.AnnounceUrl)}";
        var answer = await node.GetMagnetAsync(magnet);
        Assert.Equal("metadata", answer["status"]!.GetValue<string>());

        var done = await node.WaitForCompletedAsync(infoHash.ToString(), TimeSpan.FromSeconds(40), () => seeder.Describe() + "\n" + tracker.Describe());
        TestFiles.AssertSameFile(source, done["download_path"]!.GetValue<string>());
    }

    public void Dispose() => _directory.Dispose();
}
