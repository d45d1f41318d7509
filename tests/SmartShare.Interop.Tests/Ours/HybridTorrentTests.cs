using System.Text.Json.Nodes;
using SmartShare.Interop.Tests.Clients;
using SmartShare.Node.Client;

namespace SmartShare.Interop.Tests.Ours;

/// <summary>
/// Torrents made by libtorrent 2.0's own creator: hybrid v1/v2 ones (its default, with pad files between files) are
/// downloaded over the v1 wire and leave no pad file on disk; v2-only ones are refused with a sentence.
/// </summary>
public sealed class HybridTorrentTests : IDisposable
{
    private readonly InteropDirectory _directory = new();

    // Sizes that are not multiples of the 32 KiB piece, so libtorrent pads after every file.
    private static Dictionary<string, long> Album() => new()
    {
        ["cover.jpg"] = 100_003,
        ["disc 1/01 intro.flac"] = 1_500_000,
        ["disc 1/02 theme.flac"] = 65_536,
        ["disc 2/notes.txt"] = 1,
        ["disc 2/video.mkv"] = 700_017,
    };

    [Fact]
    public async Task Our_node_downloads_a_hybrid_torrent_libtorrent_seeds_and_writes_no_pad_files()
    {
        var (seeder, content, torrent, hashes) = await SeedAsync(LibtorrentTorrentKind.Hybrid);
        await using (seeder)
        {
            Assert.NotNull(hashes.V2);
            await using var node = await OurNode.StartAsync(_directory.Folder("ours"));
            var answer = await node.GetTorrentAsync(torrent, [seeder.Endpoint]);
            Assert.Equal(hashes.V1, answer["info_hash"]!.GetValue<string>());
            Assert.Equal(Album().Count, answer["files"]!.AsArray().Count);

            var done = await node.WaitForCompletedAsync(hashes.V1!, TimeSpan.FromSeconds(45), seeder.Describe);
            var path = done["download_path"]!.GetValue<string>();
            Assert.Equal("hybrid", done["meta_version"]?.GetValue<string>());
            TestFiles.AssertSameTree(content, path);
            Assert.False(Directory.Exists(Path.Combine(path, ".pad")), "a pad folder was written");
            Assert.Equal(Album().Count, Directory.GetFiles(path, "*", SearchOption.AllDirectories).Length);
        }
    }

    [Fact]
    public async Task A_magnet_naming_both_hashes_of_a_hybrid_torrent_downloads_over_v1()
    {
        var (seeder, content, _, hashes) = await SeedAsync(LibtorrentTorrentKind.Hybrid);
        await using (seeder)
        {
            await using var node = await OurNode.StartAsync(_directory.Folder("ours"));
            var magnet = $"magnet:?xt=urn:btih:{hashes.V1}&xt=urn:btmh:1220{hashes.V2}&dn=album";
            var answer = await node.GetMagnetAsync(magnet, [seeder.Endpoint]);
            Assert.Equal(hashes.V1, answer["info_hash"]!.GetValue<string>());

            var done = await node.WaitForCompletedAsync(hashes.V1!, TimeSpan.FromSeconds(45), seeder.Describe);
            var path = done["download_path"]!.GetValue<string>();
            TestFiles.AssertSameTree(content, path);
            Assert.False(Directory.Exists(Path.Combine(path, ".pad")), "a pad folder was written");
        }
    }

    [Fact]
    public async Task A_v2_only_torrent_and_magnet_are_refused_with_a_sentence()
    {
        var content = TestFiles.WriteRandomTree(Path.Combine(_directory.Folder("seed"), "album"), Album());
        var torrent = _directory.File("album.torrent");
        var hashes = await LibtorrentCreator.CreateAsync(content, torrent, LibtorrentTorrentKind.V2);
        Assert.Null(hashes.V1);

        await using var node = await OurNode.StartAsync(_directory.Folder("ours"));
        var refused = await Assert.ThrowsAsync<NodeApiException>(() => node.CallAsync("get", new JsonObject { ["uri"] = torrent }));
        Assert.True(refused.Message.Contains("v2-only torrent", StringComparison.Ordinal), refused.Message);

        var magnet = await Assert.ThrowsAsync<NodeApiException>(
            () => node.CallAsync("get", new JsonObject { ["uri"] = $"magnet:?xt=urn:btmh:1220{hashes.V2}&dn=album" }));
        Assert.Contains("v2", magnet.Message, StringComparison.Ordinal);
        Assert.Empty((await node.CallAsync("file_list"))!["items"]!.AsArray());
    }

    private async Task<(LibtorrentPeer Seeder, string Content, string Torrent, (string? V1, string? V2) Hashes)> SeedAsync(LibtorrentTorrentKind kind)
    {
        var seedFolder = _directory.Folder("seed");
        var content = TestFiles.WriteRandomTree(Path.Combine(seedFolder, "album"), Album());
        var torrent = _directory.File("album.torrent");
        var hashes = await LibtorrentCreator.CreateAsync(content, torrent, kind);
        var seeder = await LibtorrentPeer.StartListeningAsync(new LibtorrentOptions { Seed = true, TorrentPath = torrent, SavePath = seedFolder });
        await seeder.WaitForFinishedAsync(TimeSpan.FromSeconds(15));
        return (seeder, content, torrent, hashes);
    }

    public void Dispose() => _directory.Dispose();
}
