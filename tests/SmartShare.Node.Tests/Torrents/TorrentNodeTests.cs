using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SmartShare.BitTorrent.Storage;
using SmartShare.Node.Api;
using SmartShare.Node.Client;
using SmartShare.Node.Tests.Downloads;
using SmartShare.Node.Torrents;

namespace SmartShare.Node.Tests.Torrents;

/// <summary>Two real nodes on 127.0.0.1: one shares a torrent, the other gets it through the API.</summary>
public sealed class TorrentNodeTests : IDisposable
{
    private readonly NodeTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_torrent_shared_by_one_node_is_fetched_by_another_listed_streamed_and_deleted()
    {
        await using var seeder = await TransferNode.StartAsync("seeder", _directory.File("seeder"));
        await using var leecher = await TransferNode.StartAsync("leecher", _directory.File("leecher"));
        var source = TransferNode.WriteRandomFile(_directory.File("clip.bin"), (3 * 1024 * 1024) + 777, seed: 7);
        var torrentPath = _directory.File("clip.torrent");
        var shared = await seeder.CallAsync("stream_create", new JsonObject { ["file_path"] = source, ["torrent"] = true, ["torrent_path"] = torrentPath });
        var infoHash = shared!["info_hash"]!.GetValue<string>();
        Assert.True(File.Exists(torrentPath));
        Assert.StartsWith($"magnet:?xt=urn:btih:{infoHash}", shared["magnet"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.NotNull(shared["sd_hash"]);

        var got = await leecher.CallAsync("get", new JsonObject { ["uri"] = torrentPath, ["peers"] = new JsonArray(BtEndPoint(seeder).ToString()) });
        Assert.Equal(infoHash, got!["info_hash"]!.GetValue<string>());

        // A range in the middle, asked for at once: it is served as soon as its pieces are verified.
        using (var response = await leecher.GetStreamAsync(infoHash, "bytes=1000000-1099999"))
        {
            Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
            var body = await response.Content.ReadAsByteArrayAsync();
            var expected = (await File.ReadAllBytesAsync(source))[1000000..1100000];
            Assert.Equal(expected, body);
        }

        var done = await WaitForTorrentAsync(leecher, infoHash, "completed");
        var path = done["download_path"]!.GetValue<string>();
        Assert.Equal(TransferNode.Sha256(source), TransferNode.Sha256(path));
        Assert.Equal(Path.Combine(leecher.Downloads, "clip.bin"), path);
        Assert.Equal("torrent", done["type"]!.GetValue<string>());

        var all = await leecher.CallAsync("file_list");
        Assert.Contains(all!["items"]!.AsArray(), item => item!["info_hash"]?.GetValue<string>() == infoHash);

        Assert.True((await leecher.CallAsync("file_delete", new JsonObject { ["info_hash"] = infoHash, ["delete_from_download_dir"] = true }))!.GetValue<bool>());
        Assert.False(File.Exists(path));
        var after = await leecher.CallAsync("file_list", new JsonObject { ["info_hash"] = infoHash });
        Assert.Empty(after!["items"]!.AsArray());
    }

    [Fact]
    public async Task A_torrent_streamed_before_any_piece_arrives_answers_its_headers_at_once()
    {
        await using var seeder = await TransferNode.StartAsync("seeder", _directory.File("seeder"));
        await using var leecher = await TransferNode.StartAsync("leecher", _directory.File("leecher"));
        var source = TransferNode.WriteRandomFile(_directory.File("film.mp4"), (2 * 1024 * 1024) + 5, seed: 11);
        var torrentPath = _directory.File("film.torrent");
        var shared = await seeder.CallAsync("stream_create", new JsonObject { ["file_path"] = source, ["torrent"] = true, ["torrent_path"] = torrentPath });
        var infoHash = shared!["info_hash"]!.GetValue<string>();

        // No peer named: no piece can arrive, yet the player gets the status, length and type.
        await leecher.CallAsync("get", new JsonObject { ["uri"] = torrentPath });
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(leecher.Host.ApiUri, $"/stream/{infoHash}"));
        request.Headers.TryAddWithoutValidation("Range", "bytes=0-");
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal((2 * 1024 * 1024) + 5, response.Content.Headers.ContentLength);
        Assert.Equal("video/mp4", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_shared_folder_streams_each_file_and_lists_them_when_no_file_is_named()
    {
        await using var seeder = await TransferNode.StartAsync("seeder", _directory.File("seeder"));
        await using var leecher = await TransferNode.StartAsync("leecher", _directory.File("leecher"));
        var folder = Directory.CreateDirectory(_directory.File("show")).FullName;
        Directory.CreateDirectory(Path.Combine(folder, "season 1"));
        var first = TransferNode.WriteRandomFile(Path.Combine(folder, "season 1", "e01.mkv"), 1_500_000, seed: 1);
        var second = TransferNode.WriteRandomFile(Path.Combine(folder, "season 1", "e02.mkv"), 900_001, seed: 2);
        var torrentPath = _directory.File("show.torrent");
        var shared = await seeder.CallAsync("stream_create", new JsonObject { ["file_path"] = folder, ["torrent"] = true, ["torrent_path"] = torrentPath });
        var infoHash = shared!["info_hash"]!.GetValue<string>();
        Assert.Null(shared["sd_hash"]);

        await leecher.CallAsync("get", new JsonObject { ["uri"] = torrentPath, ["peers"] = new JsonArray(BtEndPoint(seeder).ToString()) });
        using (var listing = await leecher.GetStreamAsync(infoHash))
        {
            Assert.Equal(HttpStatusCode.BadRequest, listing.StatusCode);
            Assert.Contains("e02.mkv", await listing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var response = await leecher.GetStreamAsync($"{infoHash}/1"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(await File.ReadAllBytesAsync(second), await response.Content.ReadAsByteArrayAsync());
        }

        await WaitForTorrentAsync(leecher, infoHash, "completed");
        Assert.Equal(TransferNode.Sha256(first), TransferNode.Sha256(Path.Combine(leecher.Downloads, "show", "season 1", "e01.mkv")));
    }

    [Fact]
    public async Task A_torrent_named_by_an_http_url_is_fetched_and_downloaded()
    {
        await using var seeder = await TransferNode.StartAsync("seeder", _directory.File("seeder"));
        await using var leecher = await TransferNode.StartAsync("leecher", _directory.File("leecher"));
        var source = TransferNode.WriteRandomFile(_directory.File("talk.webm"), 700_000, seed: 3);
        var torrentPath = _directory.File("talk.torrent");
        var shared = await seeder.CallAsync("stream_create", new JsonObject { ["file_path"] = source, ["torrent"] = true, ["torrent_path"] = torrentPath });
        var infoHash = shared!["info_hash"]!.GetValue<string>();

        // A one-request web server on 127.0.0.1 hands out the .torrent file.
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var serve = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync();
            await using var stream = client.GetStream();
            var request = new byte[4096];
            _ = await stream.ReadAsync(request);
            var body = await File.ReadAllBytesAsync(torrentPath);
            var header = System.Text.Encoding.ASCII.GetBytes(
                $"HTTP/1.1 200 OK\r\nContent-Type: application/x-bittorrent\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
            await stream.WriteAsync(header);
            await stream.WriteAsync(body);
        });

        var got = await leecher.CallAsync("get", new JsonObject
        {
            ["uri"] = $"http://127.0.0.1:{port}/files/talk.torrent",
            ["peers"] = new JsonArray(BtEndPoint(seeder).ToString()),
        });
        await serve;
        Assert.Equal(infoHash, got!["info_hash"]!.GetValue<string>());
        var done = await WaitForTorrentAsync(leecher, infoHash, "completed");
        Assert.Equal(TransferNode.Sha256(source), TransferNode.Sha256(done["download_path"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_node_stopped_mid_download_resumes_at_its_next_start_without_fetching_verified_pieces_again()
    {
        // The seeder's upload limit (1 MiB/s) keeps the 4 MiB download running long enough to stop it halfway.
        await using var seeder = await TransferNode.StartAsync(
            "seeder", _directory.File("seeder"), extra: new Dictionary<string, JsonNode?> { [SmartShare.Node.Settings.NodeSettingKeys.MaxUploadRate] = 1024 });
        var source = TransferNode.WriteRandomFile(_directory.File("lecture.mp4"), 4 * 1024 * 1024, seed: 9);
        var torrentPath = _directory.File("lecture.torrent");
        var shared = await seeder.CallAsync("stream_create", new JsonObject { ["file_path"] = source, ["torrent"] = true, ["torrent_path"] = torrentPath });
        var infoHash = shared!["info_hash"]!.GetValue<string>();
        var total = new FileInfo(source).Length;

        var leecher = await TransferNode.StartAsync("leecher", _directory.File("leecher"));
        await leecher.CallAsync("get", new JsonObject { ["uri"] = torrentPath, ["peers"] = new JsonArray(BtEndPoint(seeder).ToString()) });
        await WaitUntilAsync(async () => (await TorrentAsync(leecher, infoHash))["bytes_have"]?.GetValue<long>() >= total / 3);
        await leecher.DisposeAsync();

        await using var restarted = await TransferNode.StartAsync("leecher", _directory.File("leecher"));
        var done = await WaitForTorrentAsync(restarted, infoHash, "completed");
        Assert.Equal(TransferNode.Sha256(source), TransferNode.Sha256(done["download_path"]!.GetValue<string>()));
        // Something was left to fetch (the stop really came mid-download), and not everything was fetched again.
        var received = done["received_bytes"]!.GetValue<long>();
        Assert.True(received > 0 && received < total, $"the restarted node received {received} bytes of {total}");
    }

    [Fact]
    public async Task A_torrent_in_progress_is_under_its_incomplete_name_reported_by_its_final_path_and_deleted_with_its_data()
    {
        // The seeder's upload limit (1 MiB/s) keeps the 4 MiB download running while it is looked at.
        await using var seeder = await TransferNode.StartAsync(
            "seeder", _directory.File("seeder"), extra: new Dictionary<string, JsonNode?> { [SmartShare.Node.Settings.NodeSettingKeys.MaxUploadRate] = 1024 });
        var source = TransferNode.WriteRandomFile(_directory.File("talk.mkv"), 4 * 1024 * 1024, seed: 11);
        var torrentPath = _directory.File("talk.torrent");
        var shared = await seeder.CallAsync("stream_create", new JsonObject { ["file_path"] = source, ["torrent"] = true, ["torrent_path"] = torrentPath });
        var infoHash = shared!["info_hash"]!.GetValue<string>();
        var total = new FileInfo(source).Length;

        await using var leecher = await TransferNode.StartAsync("leecher", _directory.File("leecher"));
        await leecher.CallAsync("get", new JsonObject { ["uri"] = torrentPath, ["peers"] = new JsonArray(BtEndPoint(seeder).ToString()) });
        await WaitUntilAsync(async () => (await TorrentAsync(leecher, infoHash))["bytes_have"]?.GetValue<long>() >= total / 4);
        var item = await TorrentAsync(leecher, infoHash);
        var final = Path.Combine(leecher.Downloads, "talk.mkv");
        Assert.False(item["completed"]!.GetValue<bool>(), "the download finished too soon; slow the seeder down");
        Assert.Equal(final, item["download_path"]!.GetValue<string>());
        Assert.False(File.Exists(final));
        Assert.True(File.Exists(final + TorrentStorage.IncompleteSuffix));

        Assert.True((await leecher.CallAsync("file_delete", new JsonObject { ["info_hash"] = infoHash, ["delete_from_download_dir"] = true }))!.GetValue<bool>());
        Assert.False(File.Exists(final + TorrentStorage.IncompleteSuffix));
        Assert.False(File.Exists(final));
        Assert.True(File.Exists(source), "the seeder's shared file is never renamed");
    }

    [Fact]
    public async Task A_bad_torrent_is_refused_with_a_sentence()
    {
        await using var node = await TransferNode.StartAsync("node", _directory.File("node"));
        var bogus = _directory.File("bogus.torrent");
        await File.WriteAllTextAsync(bogus, "d4:infod4:name3:abcee");
        var error = await Assert.ThrowsAsync<NodeApiException>(() => node.CallAsync("get", new JsonObject { ["uri"] = bogus }));
        Assert.Equal(JsonRpcErrorCodes.InvalidParams, error.Code);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));

        var magnet = await Assert.ThrowsAsync<NodeApiException>(() => node.CallAsync("get", new JsonObject { ["uri"] = "magnet:?xt=urn:btih:0123" }));
        Assert.Equal(JsonRpcErrorCodes.InvalidParams, magnet.Code);
        Assert.Contains("info hash \"0123\"", magnet.Message, StringComparison.Ordinal);
    }

    private static IPEndPoint BtEndPoint(TransferNode node) =>
        new(IPAddress.Loopback, node.Host.Services.GetRequiredService<TorrentManager>().ListenEndPoint.Port);

    private static async Task<JsonObject> TorrentAsync(TransferNode node, string infoHash)
    {
        var list = await node.CallAsync("file_list", new JsonObject { ["info_hash"] = infoHash });
        return (JsonObject)list!["items"]!.AsArray().Single()!;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!await condition())
        {
            await Task.Delay(50, timeout.Token);
        }
    }

    private static async Task<JsonObject> WaitForTorrentAsync(TransferNode node, string infoHash, string status)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var list = await node.CallAsync("file_list", new JsonObject { ["info_hash"] = infoHash });
            var item = (JsonObject)list!["items"]!.AsArray().Single()!;
            if (item["status"]!.GetValue<string>() == status)
            {
                return item;
            }

            if (item["status"]!.GetValue<string>() is "failed" or "stopped")
            {
                throw new InvalidOperationException($"{node.Name}: torrent {infoHash} {item["status"]}: {item["error"]}");
            }

            await Task.Delay(50, timeout.Token);
        }
    }
}
