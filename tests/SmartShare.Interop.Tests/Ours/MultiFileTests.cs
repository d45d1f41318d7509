using SmartShare.Interop.Tests.Clients;

namespace SmartShare.Interop.Tests.Ours;

/// <summary>Multi-file torrents with nested folders and an empty file, both ways between our node and libtorrent.</summary>
public sealed class MultiFileTests : IDisposable
{
    private readonly InteropDirectory _directory = new();

    private static Dictionary<string, long> Album() => new()
    {
        ["cover.jpg"] = 100_003,
        ["disc 1/01 intro.flac"] = 1_500_000,
        ["disc 1/02 theme.flac"] = 65_536,
        ["disc 2/extras/notes.txt"] = 1,
        ["disc 2/extras/empty.txt"] = 0,
        ["disc 2/extras/deep/more/video.mkv"] = 2_000_017,
    };

    [Fact]
    public async Task Libtorrent_downloads_a_folder_our_node_shares()
    {
        await using var node = await OurNode.StartAsync(_directory.Folder("ours"));
        var content = TestFiles.WriteRandomTree(Path.Combine(_directory.Folder("share"), "album"), Album());
        var torrent = _directory.File("album.torrent");
        var shared = await node.ShareTorrentAsync(content, torrent);
        var infoHash = shared["info_hash"]!.GetValue<string>();
        Assert.Equal(MkTorrent.InfoHashOf(torrent).ToString(), infoHash);
        await node.WaitForSeedingAsync(infoHash, TimeSpan.FromSeconds(15));

        var downloads = _directory.Folder("libtorrent");
        await using var downloader = await LibtorrentPeer.StartListeningAsync(new LibtorrentOptions { TorrentPath = torrent, SavePath = downloads });
        downloader.ConnectPeer(node.BitTorrentEndPoint);
        try
        {
            await downloader.WaitForFinishedAsync(TimeSpan.FromSeconds(30));
        }
        catch (Exception ex) when (ex is Xunit.Sdk.XunitException)
        {
            Assert.Fail(ex.Message + "\n" + node.Describe());
        }

        TestFiles.AssertSameTree(content, Path.Combine(downloads, "album"));
    }

    [Fact]
    public async Task Our_node_downloads_a_folder_libtorrent_seeds()
    {
        var seedFolder = _directory.Folder("seed");
        var content = TestFiles.WriteRandomTree(Path.Combine(seedFolder, "album"), Album());
        var torrent = await MkTorrent.CreateAsync(content, _directory.File("album.torrent"), pieceLengthLog2: 15);
        var infoHash = MkTorrent.InfoHashOf(torrent).ToString();
        await using var seeder = await LibtorrentPeer.StartListeningAsync(new LibtorrentOptions { Seed = true, TorrentPath = torrent, SavePath = seedFolder });
        await seeder.WaitForFinishedAsync(TimeSpan.FromSeconds(15));

        await using var node = await OurNode.StartAsync(_directory.Folder("ours"));
        var answer = await node.GetTorrentAsync(torrent, [seeder.Endpoint]);
        Assert.Equal(infoHash, answer["info_hash"]!.GetValue<string>());
        Assert.Equal(Album().Count, answer["files"]!.AsArray().Count);

        var done = await node.WaitForCompletedAsync(infoHash, TimeSpan.FromSeconds(30), seeder.Describe);
        var path = done["download_path"]!.GetValue<string>();
        Assert.Equal(Path.Combine(node.Downloads, "album"), path);
        TestFiles.AssertSameTree(content, path);
        Assert.Equal(0, new FileInfo(Path.Combine(path, "disc 2", "extras", "empty.txt")).Length);
    }

    public void Dispose() => _directory.Dispose();
}
