using SmartShare.Interop.Tests.Clients;

namespace SmartShare.Interop.Tests.Ours;

/// <summary>Our node downloads from a libtorrent seeder that it finds only through opentracker.</summary>
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

    public void Dispose() => _directory.Dispose();
}
