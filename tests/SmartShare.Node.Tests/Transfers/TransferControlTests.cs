using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SmartShare.Node.Client;
using SmartShare.Node.Settings;
using SmartShare.Node.Tests.Downloads;
using SmartShare.Node.Torrents;

namespace SmartShare.Node.Tests.Transfers;

/// <summary>
/// file_set_status (lbrynet's name) stops and starts a stream or a torrent the same way, through the API of real
/// nodes: a stopped transfer keeps what it has and, started again, fetches only the rest.
/// </summary>
public sealed class TransferControlTests : IDisposable
{
    private const long Size = 4 * 1024 * 1024;

    private readonly NodeTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData("stream")]
    [InlineData("torrent")]
    public async Task A_download_stopped_midway_keeps_what_it_has_and_started_again_fetches_only_the_rest(string type)
    {
        // The seeder's upload limit (1 MiB/s, both networks) keeps the 4 MiB download running long enough to stop it.
        await using var seeder = await TransferNode.StartAsync(
            "seeder", _directory.File("seeder"), extra: new Dictionary<string, JsonNode?> { [NodeSettingKeys.MaxUploadRate] = 1024 });
        await using var leecher = await TransferNode.StartAsync("leecher", _directory.File("leecher"));
        var source = TransferNode.WriteRandomFile(_directory.File("lecture.mp4"), Size, seed: 11);
        var torrentPath = _directory.File("lecture.torrent");
        var shared = (JsonObject)(await seeder.CallAsync("stream_create", new JsonObject { ["file_path"] = source, ["torrent"] = true, ["torrent_path"] = torrentPath }))!;
        var btPeer = new IPEndPoint(IPAddress.Loopback, seeder.Host.Services.GetRequiredService<TorrentManager>().ListenEndPoint.Port);
        var key = type == "stream" ? shared["sd_hash"]!.GetValue<string>() : shared["info_hash"]!.GetValue<string>();
        JsonObject Get() => type == "stream"
            ? new JsonObject { ["uri"] = key, ["peers"] = new JsonArray(seeder.BlobEndPoint.ToString()) }
            : new JsonObject { ["uri"] = torrentPath, ["peers"] = new JsonArray(btPeer.ToString()) };
        var added = await leecher.CallAsync("get", Get());
        Assert.True(added!["created"]!.GetValue<bool>(), $"{type}: the first get did not say it created the transfer");
        await WaitUntilAsync(leecher, key, item => Have(item) >= Size / 4);

        var stopped = (JsonObject)(await leecher.CallAsync("file_set_status", new JsonObject { ["key"] = key, ["status"] = "stop" }))!;

        Assert.Equal("stopped", stopped["state"]!.GetValue<string>());
        var haveAtStop = Have(await ItemAsync(leecher, key));
        Assert.True(haveAtStop < Size, $"{type}: the download ended before it could be stopped");
        Assert.True(haveAtStop >= Size / 4, $"{type}: a stopped download shows {haveAtStop} bytes held, less than it had before the stop");
        Assert.Equal(haveAtStop, (await ItemAsync(leecher, key))["files"]![0]!["bytes_have"]!.GetValue<long>());
        Assert.Equal("stopped", (await ItemAsync(leecher, key))["state"]!.GetValue<string>());

        var started = (JsonObject)(await leecher.CallAsync("file_set_status", new JsonObject { ["key"] = key, ["status"] = "start" }))!;
        Assert.NotEqual("stopped", started["state"]!.GetValue<string>());

        var done = await WaitUntilAsync(leecher, key, item => item["state"]!.GetValue<string>() == "seeding");
        Assert.Equal(TransferNode.Sha256(source), TransferNode.Sha256(done["download_path"]!.GetValue<string>()));
        var received = done["progress"]!["bytes_received"]!.GetValue<long>();
        Assert.True(received < Size - (haveAtStop / 2), $"{type}: after the start {received} bytes came in of the {Size - haveAtStop} missing");

        // A get of what is listed resumes it and says it created nothing (a `smartshare get` giving up removes only what it created).
        Assert.False((await leecher.CallAsync("get", Get()))!["created"]!.GetValue<bool>(), $"{type}: a second get said it created the transfer");
    }

    [Fact]
    public async Task A_complete_stream_cannot_be_stopped_and_an_unknown_key_or_status_is_refused()
    {
        await using var node = await TransferNode.StartAsync("node", _directory.File("node"));
        var source = TransferNode.WriteRandomFile(_directory.File("notes.bin"), 100_000, seed: 12);
        var sdHash = (await node.CallAsync("stream_create", new JsonObject { ["file_path"] = source }))!["sd_hash"]!.GetValue<string>();

        var complete = await Assert.ThrowsAsync<NodeApiException>(() => node.CallAsync("file_set_status", new JsonObject { ["key"] = sdHash, ["status"] = "stop" }));
        var unknown = await Assert.ThrowsAsync<NodeApiException>(() => node.CallAsync("file_set_status", new JsonObject { ["key"] = new string('e', 40), ["status"] = "stop" }));
        var badStatus = await Assert.ThrowsAsync<NodeApiException>(() => node.CallAsync("file_set_status", new JsonObject { ["key"] = sdHash, ["status"] = "pause" }));

        Assert.Contains("is complete", complete.Message, StringComparison.Ordinal);
        Assert.Contains("lists no transfer", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("'status'", badStatus.Message, StringComparison.Ordinal);
        Assert.All(new[] { complete, unknown, badStatus }, error => Assert.Equal(-32602, error.Code));
        Assert.Equal("seeding", (await ItemAsync(node, sdHash))["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_paused_seeding_torrent_still_shows_everything_it_holds()
    {
        await using var node = await TransferNode.StartAsync("node", _directory.File("node"));
        var source = TransferNode.WriteRandomFile(_directory.File("album.bin"), 300_000, seed: 13);
        var infoHash = (await node.CallAsync("stream_create", new JsonObject { ["file_path"] = source, ["torrent"] = true }))!["info_hash"]!.GetValue<string>();
        await WaitUntilAsync(node, infoHash, item => item["state"]!.GetValue<string>() == "seeding");

        await node.CallAsync("file_set_status", new JsonObject { ["key"] = infoHash, ["status"] = "stop" });

        var paused = await ItemAsync(node, infoHash);
        Assert.Equal("stopped", paused["state"]!.GetValue<string>());
        Assert.Equal(300_000, Have(paused));
        Assert.Equal(1.0, paused["progress"]!["fraction"]!.GetValue<double>());
        Assert.Equal(300_000, paused["files"]![0]!["bytes_have"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_paused_private_torrent_is_still_listed_as_private()
    {
        await using var node = await TransferNode.StartAsync("node", _directory.File("node"));
        var source = TransferNode.WriteRandomFile(_directory.File("members.bin"), 100_000, seed: 14);
        var torrentPath = _directory.File("members.torrent");
        using (var mktorrent = System.Diagnostics.Process.Start("mktorrent", ["-p", "-l", "15", "-o", torrentPath, source])!)
        {
            await mktorrent.WaitForExitAsync();
            Assert.Equal(0, mktorrent.ExitCode);
        }

        var key = (await node.CallAsync("get", new JsonObject { ["uri"] = torrentPath }))!["key"]!.GetValue<string>();
        Assert.True((await ItemAsync(node, key))["private"]!.GetValue<bool>());

        await node.CallAsync("file_set_status", new JsonObject { ["key"] = key, ["status"] = "stop" });

        var paused = await ItemAsync(node, key);
        Assert.Equal("stopped", paused["state"]!.GetValue<string>());
        Assert.True(paused["private"]!.GetValue<bool>());
    }

    private static long Have(JsonObject item) => item["progress"]!["bytes_have"]!.GetValue<long>();

    private static async Task<JsonObject> ItemAsync(TransferNode node, string key) =>
        (JsonObject)(await node.CallAsync("file_list", new JsonObject { ["key"] = key }))!["items"]!.AsArray().Single()!;

    private static async Task<JsonObject> WaitUntilAsync(TransferNode node, string key, Func<JsonObject, bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var item = await ItemAsync(node, key);
            if (condition(item))
            {
                return item;
            }

            Assert.False(item["state"]!.GetValue<string>() == "failed", $"{key} failed: {item["error"]}");
            await Task.Delay(50, timeout.Token);
        }
    }
}
