using SmartShare.Interop.Tests.Clients;

namespace SmartShare.Interop.Tests.Harness;

/// <summary>Harness self-test: a folder with nested sub-folders as a multi-file torrent, libtorrent to libtorrent.</summary>
public sealed class MultiFileTests : IDisposable
{
    private readonly InteropDirectory _directory = new();

    [Fact]
    public async Task Libtorrent_downloads_a_multi_file_torrent_with_nested_folders()
    {
        var seedFolder = _directory.Folder("seed");
        var content = TestFiles.WriteRandomTree(Path.Combine(seedFolder, "album"), new Dictionary<string, long>
        {
            ["cover.jpg"] = 100_003,
            ["disc 1/01 intro.flac"] = 1_500_000,
            ["disc 1/02 theme.flac"] = 65_536,
            ["disc 2/extras/notes.txt"] = 1,
            ["disc 2/extras/deep/more/video.mkv"] = 2_000_017,
        });
        var torrent = await MkTorrent.CreateAsync(content, _directory.File("album.torrent"), pieceLengthLog2: 15);

        await using var seeder = await LibtorrentPeer.StartListeningAsync(new LibtorrentOptions { Seed = true, TorrentPath = torrent, SavePath = seedFolder });
        await seeder.WaitForFinishedAsync(TimeSpan.FromSeconds(15));

        var downloads = _directory.Folder("downloads");
        await using var downloader = await LibtorrentPeer.StartListeningAsync(new LibtorrentOptions { TorrentPath = torrent, SavePath = downloads, Peers = [seeder.Endpoint] });
        await downloader.WaitForFinishedAsync(TimeSpan.FromSeconds(30));

        TestFiles.AssertSameTree(content, Path.Combine(downloads, "album"));
    }

    public void Dispose() => _directory.Dispose();
}
