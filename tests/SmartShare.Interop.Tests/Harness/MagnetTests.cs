using SmartShare.Interop.Tests.Clients;

namespace SmartShare.Interop.Tests.Harness;

/// <summary>Harness self-test: libtorrent fetches the metadata (BEP 9) and then the file from a magnet link alone.</summary>
public sealed class MagnetTests : IDisposable
{
    private readonly InteropDirectory _directory = new();

    [Fact]
    public async Task Libtorrent_downloads_from_a_magnet_link_and_a_seeder_address()
    {
        var seedFolder = _directory.Folder("seed");
        var source = TestFiles.WriteRandom(Path.Combine(seedFolder, "magnet.bin"), (1 << 20) + 99);
        var torrent = await MkTorrent.CreateAsync(source, _directory.File("magnet.torrent"), pieceLengthLog2: 15);
        var magnet = $"magnet:?xt=urn:btih:{MkTorrent.InfoHashOf(torrent)}&dn=magnet.bin";

        await using var seeder = await LibtorrentPeer.StartListeningAsync(new LibtorrentOptions { Seed = true, TorrentPath = torrent, SavePath = seedFolder });
        await seeder.WaitForFinishedAsync(TimeSpan.FromSeconds(15));

        var downloads = _directory.Folder("downloads");
        await using var downloader = await LibtorrentPeer.StartListeningAsync(new LibtorrentOptions { Magnet = magnet, SavePath = downloads, Peers = [seeder.Endpoint] });
        await downloader.WaitForFinishedAsync(TimeSpan.FromSeconds(30));

        TestFiles.AssertSameFile(source, Path.Combine(downloads, "magnet.bin"));
    }

    public void Dispose() => _directory.Dispose();
}
