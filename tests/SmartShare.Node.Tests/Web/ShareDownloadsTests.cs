using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.Node.Client;
using SmartShare.Node.Shares;
using SmartShare.Node.Tests.Downloads;
using SmartShare.Node.Torrents;

namespace SmartShare.Node.Tests.Web;

/// <summary>
/// /smartshare/{sd} and /torrent/{ih} hand out a share's files, and get's content_base64 takes them back: the path a
/// file dropped on the web UI follows, from one real node to another.
/// </summary>
public sealed class ShareDownloadsTests : IDisposable
{
    private readonly NodeTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_smartshare_file_from_one_node_dropped_on_another_downloads_the_stream()
    {
        await using var seeder = await TransferNode.StartAsync("seeder", _directory.File("seeder"));
        await using var leecher = await TransferNode.StartAsync("leecher", _directory.File("leecher"));
        var source = TransferNode.WriteRandomFile(_directory.File("talk.mp3"), 3 * 1024 * 1024, seed: 3);
        var shared = (JsonObject)(await seeder.CallAsync("stream_create", new JsonObject { ["file_path"] = source, ["private"] = true }))!;
        var sdHash = shared["sd_hash"]!.GetValue<string>();

        using var response = await GetAsync(seeder, $"/smartshare/{sdHash}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("talk.smartshare", response.Content.Headers.ContentDisposition!.FileNameStar);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var file = SmartShareCodec.Parse(bytes);
        Assert.Equal(sdHash, file.SdHash.ToString());
        Assert.True(file.Private);
        Assert.Equal(3 * 1024 * 1024, file.Size);
        Assert.Equal(SmartShareCodec.ParseLink(shared["link"]!.GetValue<string>()).Contacts, file.Contacts);

        var added = (JsonObject)(await leecher.CallAsync("get", new JsonObject { ["content_base64"] = Convert.ToBase64String(bytes), ["content_name"] = "talk.smartshare" }))!;
        Assert.Equal(sdHash, added["key"]!.GetValue<string>());
        var done = await leecher.WaitForStatusAsync(sdHash, "completed");
        Assert.Equal(TransferNode.Sha256(source), TransferNode.Sha256(done["download_path"]!.GetValue<string>()));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(leecher.Host.DataDirectory, "incoming")));
    }

    [Fact]
    public async Task A_torrent_file_is_handed_out_whole_and_unknown_or_foreign_requests_get_nothing()
    {
        await using var node = await TransferNode.StartAsync("node", _directory.File("node"));
        var source = TransferNode.WriteRandomFile(_directory.File("album.flac"), 300_000, seed: 4);
        const string Tracker = "http://127.0.0.1:1/announce";
        var shared = (JsonObject)(await node.CallAsync("stream_create", new JsonObject { ["file_path"] = source, ["torrent"] = true, ["trackers"] = new JsonArray(Tracker) }))!;
        var infoHash = shared["info_hash"]!.GetValue<string>();

        // The detail pane's trackers: each with its tier and, once asked, how it answered.
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
        {
            while ((await node.CallAsync("file_list", new JsonObject { ["key"] = infoHash }))!["items"]![0]!["trackers"]![0] is not { } tracker || tracker["error"] is null)
            {
                await Task.Delay(50, timeout.Token);
            }
        }

        var listed = (await node.CallAsync("file_list", new JsonObject { ["key"] = infoHash }))!["items"]![0]!;
        Assert.Equal(Tracker, listed["trackers"]![0]!["url"]!.GetValue<string>());
        Assert.Equal(0, listed["trackers"]![0]!["tier"]!.GetValue<int>());
        Assert.NotNull(listed["trackers"]![0]!["last_announce"]);

        using var response = await GetAsync(node, $"/torrent/{infoHash}");
        var torrent = TorrentParser.Parse(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(infoHash, torrent.InfoHash.ToString());
        Assert.Equal("application/x-bittorrent", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("album.flac.torrent", response.Content.Headers.ContentDisposition!.FileNameStar);

        using var unknown = await GetAsync(node, $"/torrent/{new string('a', 40)}");
        using var garbage = await GetAsync(node, "/smartshare/not-a-hash");
        var foreign = new HttpRequestMessage(HttpMethod.Get, $"/smartshare/{shared["sd_hash"]}");
        foreign.Headers.Add("Sec-Fetch-Site", "cross-site");
        foreign.Headers.Add("Sec-Fetch-Mode", "navigate");
        using var navigation = await SendAsync(node, foreign);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, garbage.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, navigation.StatusCode);
    }

    [Fact]
    public async Task A_torrent_file_from_one_node_dropped_on_another_downloads_the_torrent()
    {
        await using var seeder = await TransferNode.StartAsync("seeder", _directory.File("seeder"));
        await using var leecher = await TransferNode.StartAsync("leecher", _directory.File("leecher"));
        var source = TransferNode.WriteRandomFile(_directory.File("lecture.mkv"), 2 * 1024 * 1024 + 5, seed: 6);
        var infoHash = (await seeder.CallAsync("stream_create", new JsonObject { ["file_path"] = source, ["torrent"] = true }))!["info_hash"]!.GetValue<string>();
        using var response = await GetAsync(seeder, $"/torrent/{infoHash}");
        var btPort = seeder.Host.Services.GetRequiredService<TorrentManager>().ListenEndPoint.Port;

        var added = (JsonObject)(await leecher.CallAsync("get", new JsonObject
        {
            ["content_base64"] = Convert.ToBase64String(await response.Content.ReadAsByteArrayAsync()),
            ["content_name"] = "lecture.mkv.torrent",
            ["peers"] = new JsonArray($"127.0.0.1:{btPort}"),
        }))!;

        Assert.Equal(infoHash, added["key"]!.GetValue<string>());
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            while ((await leecher.CallAsync("file_list", new JsonObject { ["key"] = infoHash }))!["items"]![0]!["state"]!.GetValue<string>() != "seeding")
            {
                await Task.Delay(50, timeout.Token);
            }
        }

        Assert.Equal(TransferNode.Sha256(source), TransferNode.Sha256(Path.Combine(leecher.Downloads, "lecture.mkv")));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(leecher.Host.DataDirectory, "incoming")));
    }

    [Fact]
    public async Task Dropped_bytes_that_are_no_share_file_get_a_sentence_naming_the_file_and_leave_nothing()
    {
        await using var node = await TransferNode.StartAsync("node", _directory.File("node"));

        var error = await Assert.ThrowsAsync<NodeApiException>(() => node.CallAsync("get", new JsonObject
        {
            ["content_base64"] = Convert.ToBase64String("{\"not\": \"a share\"}"u8.ToArray()),
            ["content_name"] = "holiday.smartshare",
        }));
        var notBase64 = await Assert.ThrowsAsync<NodeApiException>(() => node.CallAsync("get", new JsonObject { ["content_base64"] = "***" }));

        Assert.Equal(-32602, error.Code);
        Assert.Contains("holiday.smartshare", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("incoming", error.Message, StringComparison.Ordinal);
        Assert.Equal(-32602, notBase64.Code);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(node.Host.DataDirectory, "incoming")));
        Assert.Empty((await node.CallAsync("file_list"))!["items"]!.AsArray());
    }

    private static Task<HttpResponseMessage> GetAsync(TransferNode node, string path) => SendAsync(node, new HttpRequestMessage(HttpMethod.Get, path));

    private static async Task<HttpResponseMessage> SendAsync(TransferNode node, HttpRequestMessage request)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = node.Host.ApiUri };
        return await http.SendAsync(request);
    }
}
