using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SmartShare.Node.Client;
using SmartShare.Node.Tests.Downloads;
using SmartShare.Node.Torrents;

namespace SmartShare.Node.Tests.Transfers;

/// <summary>
/// One list for both networks, through the API of real nodes: a stream and a torrent are listed in the same shape,
/// found and removed by the same key parameter, and a download reads the same on both sides once complete.
/// </summary>
public sealed class TransferListTests : IDisposable
{
    private readonly NodeTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Streams_and_torrents_are_listed_in_one_shape_and_removed_by_key()
    {
        await using var node = await TransferNode.StartAsync("node", _directory.File("node"));
        var source = TransferNode.WriteRandomFile(_directory.File("talk.webm"), 3_000_001, seed: 4);
        var shared = (JsonObject)(await node.CallAsync("stream_create", new JsonObject { ["file_path"] = source, ["torrent"] = true }))!;
        var sdHash = shared["sd_hash"]!.GetValue<string>();
        var infoHash = shared["info_hash"]!.GetValue<string>();

        var items = (await node.CallAsync("file_list"))!["items"]!.AsArray().Cast<JsonObject>().ToList();

        Assert.Equal(2, items.Count);
        var stream = items.Single(item => item["key"]!.GetValue<string>() == sdHash);
        var torrent = items.Single(item => item["key"]!.GetValue<string>() == infoHash);
        Assert.Equal("stream", stream["type"]!.GetValue<string>());
        Assert.Equal("torrent", torrent["type"]!.GetValue<string>());
        foreach (var item in new[] { stream, torrent })
        {
            Assert.Equal("share", item["direction"]!.GetValue<string>());
            Assert.Equal("seeding", item["state"]!.GetValue<string>());
            Assert.Equal("talk.webm", item["name"]!.GetValue<string>());
            var progress = item["progress"]!.AsObject();
            Assert.Equal(3_000_001, progress["bytes_have"]!.GetValue<long>());
            Assert.Equal(3_000_001, progress["bytes_total"]!.GetValue<long>());
            Assert.Equal(1.0, progress["fraction"]!.GetValue<double>());
            var file = item["files"]!.AsArray().Single()!.AsObject();
            Assert.Equal("talk.webm", file["path"]!.GetValue<string>());
            Assert.Equal(3_000_001, file["length"]!.GetValue<long>());
            Assert.Equal(3_000_001, file["bytes_have"]!.GetValue<long>());
            Assert.True(file["wanted"]!.GetValue<bool>());
            Assert.Equal("normal", file["priority"]!.GetValue<string>());
        }

        // lbrynet's own fields stay.
        Assert.Equal(sdHash, stream["sd_hash"]!.GetValue<string>());
        Assert.Equal(infoHash, torrent["info_hash"]!.GetValue<string>());
        Assert.NotNull(torrent["files"]![0]!["streaming_url"]);

        foreach (var key in new[] { sdHash, infoHash })
        {
            var one = (await node.CallAsync("file_list", new JsonObject { ["key"] = key }))!["items"]!.AsArray();
            Assert.Equal(key, one.Single()!["key"]!.GetValue<string>());
        }

        Assert.True((await node.CallAsync("file_delete", new JsonObject { ["key"] = infoHash }))!.GetValue<bool>());
        Assert.True((await node.CallAsync("file_delete", new JsonObject { ["key"] = sdHash.ToUpperInvariant() }))!.GetValue<bool>());
        Assert.False((await node.CallAsync("file_delete", new JsonObject { ["key"] = sdHash }))!.GetValue<bool>());
        Assert.Empty((await node.CallAsync("file_list"))!["items"]!.AsArray());
        Assert.True(File.Exists(source));
    }

    [Theory]
    [InlineData("key", "not-a-hash")]
    [InlineData("sd_hash", "0123456789012345678901234567890123456789")]
    [InlineData("info_hash", "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000a")]
    public async Task A_key_of_the_wrong_form_is_refused_naming_the_parameter(string parameter, string value)
    {
        await using var node = await TransferNode.StartAsync("node", _directory.File("node"));

        var error = await Assert.ThrowsAsync<NodeApiException>(() => node.CallAsync("file_delete", new JsonObject { [parameter] = value }));

        Assert.Equal(-32602, error.Code);
        Assert.Contains($"'{parameter}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stream_and_a_torrent_fetched_by_another_node_read_the_same_once_complete()
    {
        await using var seeder = await TransferNode.StartAsync("seeder", _directory.File("seeder"));
        await using var leecher = await TransferNode.StartAsync("leecher", _directory.File("leecher"));
        var source = TransferNode.WriteRandomFile(_directory.File("clip.bin"), 2_500_000, seed: 5);
        var torrentPath = _directory.File("clip.torrent");
        var shared = (JsonObject)(await seeder.CallAsync("stream_create", new JsonObject { ["file_path"] = source, ["torrent"] = true, ["torrent_path"] = torrentPath }))!;
        var sdHash = shared["sd_hash"]!.GetValue<string>();
        var infoHash = shared["info_hash"]!.GetValue<string>();
        var btPeer = new IPEndPoint(IPAddress.Loopback, seeder.Host.Services.GetRequiredService<TorrentManager>().ListenEndPoint.Port);

        var gotStream = (JsonObject)(await leecher.CallAsync("get", new JsonObject { ["uri"] = sdHash, ["peers"] = new JsonArray(seeder.BlobEndPoint.ToString()), ["download_directory"] = _directory.File("s") }))!;
        var gotTorrent = (JsonObject)(await leecher.CallAsync("get", new JsonObject { ["uri"] = torrentPath, ["peers"] = new JsonArray(btPeer.ToString()), ["download_directory"] = _directory.File("t") }))!;
        Assert.Equal("download", gotStream["direction"]!.GetValue<string>());
        Assert.Equal("download", gotTorrent["direction"]!.GetValue<string>());

        var stream = await WaitForStateAsync(leecher, sdHash, "seeding");
        var torrent = await WaitForStateAsync(leecher, infoHash, "seeding");

        foreach (var item in new[] { stream, torrent })
        {
            Assert.Equal(2_500_000, item["progress"]!["bytes_have"]!.GetValue<long>());
            Assert.Equal(2_500_000, item["progress"]!["bytes_total"]!.GetValue<long>());
            Assert.Equal(2_500_000, item["files"]![0]!["bytes_have"]!.GetValue<long>());
            Assert.Null(item["progress"]!["eta_seconds"]);
            Assert.Equal(TransferNode.Sha256(source), TransferNode.Sha256(item["download_path"]!.GetValue<string>()));
        }
    }

    private static async Task<JsonObject> WaitForStateAsync(TransferNode node, string key, string state)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var item = (JsonObject)(await node.CallAsync("file_list", new JsonObject { ["key"] = key }))!["items"]!.AsArray().Single()!;
            var now = item["state"]!.GetValue<string>();
            if (now == state)
            {
                return item;
            }

            Assert.False(now is "failed" or "stopped", $"{key} is {now}: {item["error"]}");
            await Task.Delay(50, timeout.Token);
        }
    }
}
