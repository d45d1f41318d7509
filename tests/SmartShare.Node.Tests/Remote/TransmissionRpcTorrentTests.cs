using System.Text.Json.Nodes;
using SmartShare.Node.Tests.Downloads;

namespace SmartShare.Node.Tests.Remote;

/// <summary>
/// The torrent-* methods on real nodes over loopback: a stream and a torrent listed as Transmission torrents, every
/// form of <c>ids</c>, torrent-add by metainfo and by magnet (with duplicates), and stop, start and remove.
/// </summary>
public sealed class TransmissionRpcTorrentTests : IDisposable
{
    private const long Size = (512 * 1024) + 77;

    private readonly NodeTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_shared_stream_and_torrent_are_listed_with_the_fields_asked_and_every_form_of_ids_selects_them()
    {
        await using var node = await TransferNode.StartAsync("node", _directory.File("node"));
        var (shared, torrentPath) = await ShareAsync(node, "talk.mp3", seed: 21);
        var sdHash = shared["sd_hash"]!.GetValue<string>();
        var infoHash = shared["info_hash"]!.GetValue<string>();
        var client = new TransmissionTestClient(node.Host.ApiUri);

        // Ids follow the transfers' order (added time, then hash); which of the two came first does not matter.
        var ids = Ids(await client.TorrentsAsync(null, "id", "hashString"));
        Assert.Equal([1, 2], ids);
        var byHash = (await client.TorrentsAsync(null, "id", "hashString")).ToDictionary(torrent => torrent["hashString"]!.GetValue<string>(), torrent => torrent["id"]!.GetValue<int>());
        var (streamId, torrentId) = (byHash[sdHash], byHash[infoHash]);
        await client.WaitForAsync(torrentId, torrent => torrent["status"]!.GetValue<int>() == 6, "the torrent seeds");
        var listed = await client.TorrentsAsync(null, "id", "name", "hashString", "status", "bogus", "totalSize", "percentDone", "leftUntilDone", "isFinished", "pieceCount", "files");

        Assert.All(listed, torrent => Assert.Equal(
            ["id", "name", "hashString", "status", "totalSize", "percentDone", "leftUntilDone", "isFinished", "pieceCount", "files"],
            torrent.Select(pair => pair.Key)));
        var stream = listed.Single(item => item["id"]!.GetValue<int>() == streamId);
        var torrent = listed.Single(item => item["id"]!.GetValue<int>() == torrentId);
        Assert.Equal(sdHash, stream["hashString"]!.GetValue<string>());
        Assert.Equal(96, sdHash.Length);
        Assert.Equal(infoHash, torrent["hashString"]!.GetValue<string>());
        Assert.All(listed, item =>
        {
            Assert.Equal("talk.mp3", item["name"]!.GetValue<string>());
            Assert.Equal(6, item["status"]!.GetValue<int>());
            Assert.Equal(Size, item["totalSize"]!.GetValue<long>());
            Assert.Equal(1.0, item["percentDone"]!.GetValue<double>());
            Assert.Equal(0, item["leftUntilDone"]!.GetValue<long>());
            Assert.False(item["isFinished"]!.GetValue<bool>());
            var file = item["files"]!.AsArray().Single()!;
            Assert.Equal("talk.mp3", file["name"]!.GetValue<string>());
            Assert.Equal(Size, file["bytesCompleted"]!.GetValue<long>());
        });
        Assert.Equal(0, stream["pieceCount"]!.GetValue<int>());
        Assert.True(torrent["pieceCount"]!.GetValue<int>() > 0);

        Assert.Equal([torrentId], Ids(await client.TorrentsAsync(torrentId, "id")));
        Assert.Equal([1, 2], Ids(await client.TorrentsAsync(new JsonArray(infoHash, streamId), "id")));
        Assert.Equal([streamId], Ids(await client.TorrentsAsync(sdHash, "id")));
        Assert.Equal([torrentId], Ids(await client.TorrentsAsync(infoHash.ToUpperInvariant(), "id")));
        Assert.Empty(await client.TorrentsAsync(new JsonArray(7, new string('e', 40)), "id"));
        var table = await client.SucceedAsync("torrent-get", new JsonObject { ["fields"] = new JsonArray("id", "name", "nope"), ["format"] = "table" });
        Assert.Equal("""[["id","name"],[1,"talk.mp3"],[2,"talk.mp3"]]""", table["torrents"]!.ToJsonString());

        // The same torrent again is a duplicate with its id; removed, its id is reported and never used again.
        var metainfo = Convert.ToBase64String(await File.ReadAllBytesAsync(torrentPath));
        var duplicate = await client.SucceedAsync("torrent-add", new JsonObject { ["metainfo"] = metainfo });
        Assert.Equal(torrentId, duplicate["torrent-duplicate"]!["id"]!.GetValue<int>());
        Assert.Equal(infoHash, duplicate["torrent-duplicate"]!["hashString"]!.GetValue<string>());
        Assert.Null(duplicate["torrent-added"]);

        await client.SucceedAsync("torrent-remove", new JsonObject { ["ids"] = new JsonArray(torrentId) });
        Assert.True(File.Exists(_directory.File("sources-node/talk.mp3")), "removing a share without delete-local-data keeps its file");
        var active = await client.SucceedAsync("torrent-get", new JsonObject { ["ids"] = "recently-active", ["fields"] = new JsonArray("id") });
        Assert.Equal([torrentId], active["removed"]!.AsArray().Select(id => id!.GetValue<int>()));

        var added = await client.SucceedAsync("torrent-add", new JsonObject { ["metainfo"] = metainfo, ["paused"] = true, ["download-dir"] = _directory.File("again") });
        Assert.Equal(3, added["torrent-added"]!["id"]!.GetValue<int>());
        Assert.Equal("talk.mp3", added["torrent-added"]!["name"]!.GetValue<string>());
        var again = (await client.TorrentsAsync(3, "status", "downloadDir", "isFinished")).Single();
        Assert.Equal(0, again["status"]!.GetValue<int>());
        Assert.Equal(_directory.File("again"), again["downloadDir"]!.GetValue<string>());
        Assert.Equal([streamId, 3], Ids(await client.TorrentsAsync(null, "id")));
    }

    [Fact]
    public async Task What_the_node_cannot_do_is_refused_with_a_sentence_and_harmless_settings_are_accepted()
    {
        await using var node = await TransferNode.StartAsync("node", _directory.File("node"));
        var (shared, _) = await ShareAsync(node, "notes.bin", seed: 22);
        var (sdHash, infoHash) = (shared["sd_hash"]!.GetValue<string>(), shared["info_hash"]!.GetValue<string>());
        var client = new TransmissionTestClient(node.Host.ApiUri);

        Assert.Contains("has 1 file", await client.FailAsync("torrent-set", new JsonObject { ["ids"] = infoHash, ["files-unwanted"] = new JsonArray(3) }), StringComparison.Ordinal);
        Assert.Contains("no files to choose", await client.FailAsync("torrent-set", new JsonObject { ["ids"] = sdHash, ["priority-high"] = new JsonArray(0) }), StringComparison.Ordinal);
        Assert.Contains("list of file indexes", await client.FailAsync("torrent-set", new JsonObject { ["ids"] = infoHash, ["files-wanted"] = "all" }), StringComparison.Ordinal);
        Assert.Contains("needs uploadLimit", await client.FailAsync("torrent-set", new JsonObject { ["ids"] = infoHash, ["uploadLimited"] = true }), StringComparison.Ordinal);
        Assert.Contains("cannot verify", await client.FailAsync("torrent-verify", new JsonObject { ["ids"] = infoHash }), StringComparison.Ordinal);
        Assert.Contains("is complete", await client.FailAsync("torrent-stop", new JsonObject { ["ids"] = sdHash }), StringComparison.Ordinal);
        await client.SucceedAsync("torrent-set", new JsonObject { ["ids"] = infoHash, ["labels"] = new JsonArray("music"), ["bandwidthPriority"] = 1 });
        Assert.Contains("is neither an sd hash", await client.FailAsync("torrent-add", new JsonObject { ["filename"] = "not a torrent" }), StringComparison.Ordinal);
        Assert.Equal(2, (await client.TorrentsAsync(null, "id")).Count);
    }

    [Fact]
    public async Task A_magnet_added_over_the_rpc_downloads_and_is_stopped_started_and_removed_with_its_data()
    {
        await using var seeder = await TransferNode.StartAsync("seeder", _directory.File("seeder"));
        await using var leecher = await TransferNode.StartAsync("leecher", _directory.File("leecher"));
        var (shared, _) = await ShareAsync(seeder, "film.mkv", seed: 23);
        var infoHash = shared["info_hash"]!.GetValue<string>();
        var client = new TransmissionTestClient(leecher.Host.ApiUri);

        var added = await client.SucceedAsync("torrent-add", new JsonObject { ["filename"] = shared["magnet"]!.GetValue<string>() });
        var id = added["torrent-added"]!["id"]!.GetValue<int>();
        Assert.Equal(infoHash, added["torrent-added"]!["hashString"]!.GetValue<string>());
        var again = await client.SucceedAsync("torrent-add", new JsonObject { ["filename"] = shared["magnet"]!.GetValue<string>() });
        Assert.Equal(id, again["torrent-duplicate"]!["id"]!.GetValue<int>());

        var done = await client.WaitForAsync(id, torrent => torrent["status"]!.GetValue<int>() == 6, "the magnet's torrent downloads and seeds", "percentDone", "files", "downloadDir", "peersConnected");
        Assert.Equal(1.0, done["percentDone"]!.GetValue<double>());
        Assert.Equal(leecher.Downloads, done["downloadDir"]!.GetValue<string>());
        var path = Path.Combine(leecher.Downloads, "film.mkv");
        Assert.Equal(TransferNode.Sha256(_directory.File("sources-seeder/film.mkv")), TransferNode.Sha256(path));

        await client.SucceedAsync("torrent-stop", new JsonObject { ["ids"] = id });
        Assert.Equal(0, (await client.TorrentsAsync(id, "status")).Single()["status"]!.GetValue<int>());

        await client.SucceedAsync("torrent-start", new JsonObject { ["ids"] = infoHash });
        await client.WaitForAsync(id, torrent => torrent["status"]!.GetValue<int>() == 6, "the torrent seeds again");

        await client.SucceedAsync("torrent-remove", new JsonObject { ["ids"] = id, ["delete-local-data"] = true });
        Assert.False(File.Exists(path), "delete-local-data removes the downloaded file");
        Assert.Empty(await client.TorrentsAsync(null, "id"));
        var active = await client.SucceedAsync("torrent-get", new JsonObject { ["ids"] = "recently-active", ["fields"] = new JsonArray("id") });
        Assert.Equal([id], active["removed"]!.AsArray().Select(item => item!.GetValue<int>()));
    }

    private static List<int> Ids(List<JsonObject> torrents) => [.. torrents.Select(torrent => torrent["id"]!.GetValue<int>())];

    private async Task<(JsonObject Shared, string TorrentPath)> ShareAsync(TransferNode node, string name, int seed)
    {
        var folder = Directory.CreateDirectory(_directory.File("sources-" + node.Name)).FullName;
        var source = TransferNode.WriteRandomFile(Path.Combine(folder, name), Size, seed);
        var torrentPath = _directory.File(name + ".torrent");
        var shared = (JsonObject)(await node.CallAsync("stream_create", new JsonObject
        {
            ["file_path"] = source,
            ["torrent"] = true,
            ["torrent_path"] = torrentPath,
            ["advertise"] = new JsonArray("127.0.0.1"),
        }))!;
        return (shared, torrentPath);
    }
}
