using SmartShare.Interop.Tests.Clients;

namespace SmartShare.Interop.Tests.Harness;

/// <summary>Harness self-test: one libtorrent seeds, another downloads, told the seeder's address directly.</summary>
public sealed class LibtorrentToLibtorrentTests : IDisposable
{
    private readonly InteropDirectory _directory = new();

    [Fact]
    public async Task Libtorrent_downloads_a_file_from_a_libtorrent_seeder_it_is_told_to_connect_to()
    {
        var seedFolder = _directory.Folder("seed");
        var source = TestFiles.WriteRandom(Path.Combine(seedFolder, "single.bin"), (4 << 20) - 777);
        var torrent = await MkTorrent.CreateAsync(source, _directory.File("single.torrent"), pieceLengthLog2: 15);

        await using var seeder = await LibtorrentPeer.StartListeningAsync(new LibtorrentOptions { Seed = true, TorrentPath = torrent, SavePath = seedFolder });
        await seeder.WaitForFinishedAsync(TimeSpan.FromSeconds(15));

        var downloads = _directory.Folder("downloads");
        await using var downloader = await LibtorrentPeer.StartListeningAsync(new LibtorrentOptions { TorrentPath = torrent, SavePath = downloads });
        downloader.ConnectPeer(seeder.Endpoint);
        await downloader.WaitForFinishedAsync(TimeSpan.FromSeconds(30));

        TestFiles.AssertSameFile(source, Path.Combine(downloads, "single.bin"));
        Assert.True(downloader.PeakRssAnonKib > 0, "The fixture sampled no RssAnon of the downloader.");
    }

    public void Dispose() => _directory.Dispose();
}
