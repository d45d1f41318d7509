using SmartShare.Interop.Tests.Clients;

namespace SmartShare.Interop.Tests.Harness;

/// <summary>Harness self-test: mktorrent, opentracker, a libtorrent seeder and aria2c, none of them ours.</summary>
public sealed class TrackerToAria2Tests : IDisposable
{
    private readonly InteropDirectory _directory = new();

    [Fact]
    public async Task Aria2_downloads_from_a_libtorrent_seeder_found_through_opentracker()
    {
        await using var tracker = await OpenTracker.StartAsync();
        var seedFolder = _directory.Folder("seed");
        var source = TestFiles.WriteRandom(Path.Combine(seedFolder, "payload.bin"), (3 << 20) + 12_345);
        var torrent = await MkTorrent.CreateAsync(source, _directory.File("payload.torrent"), tracker.AnnounceUrl, pieceLengthLog2: 16);
        var infoHash = MkTorrent.InfoHashOf(torrent);
        await tracker.AllowAsync(infoHash);

        await using var seeder = await LibtorrentPeer.StartListeningAsync(new LibtorrentOptions { Seed = true, TorrentPath = torrent, SavePath = seedFolder });
        await seeder.WaitForFinishedAsync(TimeSpan.FromSeconds(15));
        await tracker.WaitForSeedersAsync(infoHash, 1, TimeSpan.FromSeconds(15));

        var downloads = _directory.Folder("aria2");
        await using var aria2 = Aria2.Start(torrent, downloads);
        await aria2.WaitForSuccessAsync(TimeSpan.FromSeconds(30));

        TestFiles.AssertSameFile(source, Path.Combine(downloads, "payload.bin"));
        Assert.Equal(infoHash.ToString(), seeder.InfoHash);
    }

    public void Dispose() => _directory.Dispose();
}
