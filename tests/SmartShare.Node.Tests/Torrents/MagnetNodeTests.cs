using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SmartShare.BitTorrent;
using SmartShare.Node.Settings;
using SmartShare.Node.Shares;
using SmartShare.Node.Tests.Downloads;
using SmartShare.Node.Torrents;

namespace SmartShare.Node.Tests.Torrents;

/// <summary>Magnet links between real nodes on 127.0.0.1: by the creator's address, by the Mainline DHT alone, and across a restart.</summary>
public sealed class MagnetNodeTests : IDisposable
{
    private readonly NodeTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_shared_torrents_magnet_names_the_creator_and_another_node_gets_it_from_that_alone()
    {
        await using var seeder = await TransferNode.StartAsync("seeder", _directory.File("seeder"));
        await using var leecher = await TransferNode.StartAsync("leecher", _directory.File("leecher"), extra: NoDht());
        var source = TransferNode.WriteRandomFile(_directory.File("song.flac"), (2 * 1024 * 1024) + 3, seed: 11);
        var sharePath = _directory.File("song.smartshare");
        var shared = await seeder.CallAsync("stream_create", new JsonObject
        {
            ["file_path"] = source,
            ["torrent"] = true,
            ["torrent_path"] = _directory.File("song.torrent"),
            ["smartshare_path"] = sharePath,
            ["advertise"] = new JsonArray("127.0.0.1"),
        });
        var infoHash = shared!["info_hash"]!.GetValue<string>();
        var magnet = MagnetLink.Parse(shared["magnet"]!.GetValue<string>());
        Assert.Equal(InfoHash.Parse(infoHash), magnet.InfoHash);
        Assert.Contains(BtEndPoint(seeder), magnet.Peers);
        Assert.Contains(magnet.DhtNodes, node => node.Host == "127.0.0.1" && node.Port == Torrents(seeder).DhtEndPoint!.Port);

        // The .smartshare file carries the same torrent form.
        var share = SmartShareCodec.Parse(await File.ReadAllBytesAsync(sharePath));
        Assert.Equal(InfoHash.Parse(infoHash), share.BitTorrent!.InfoHash);
        Assert.Equal([new SmartShareEndpoint("127.0.0.1", BtEndPoint(seeder).Port)], share.BitTorrent.Peers);

        // The leecher has no DHT: the metadata and the pieces come from the x.pe peer alone.
        var got = await leecher.CallAsync("get", new JsonObject { ["uri"] = shared["magnet"]!.GetValue<string>() });
        Assert.Equal(infoHash, got!["info_hash"]!.GetValue<string>());
        var done = await WaitForStatusAsync(leecher, infoHash, "completed");
        Assert.Equal(TransferNode.Sha256(source), TransferNode.Sha256(done["download_path"]!.GetValue<string>()));
        Assert.Equal(Path.Combine(leecher.Downloads, "song.flac"), done["download_path"]!.GetValue<string>());
        Assert.Equal(new FileInfo(source).Length, done["bytes_total"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_magnet_played_at_once_waits_for_its_metadata_and_then_streams()
    {
        await using var seeder = await TransferNode.StartAsync("seeder", _directory.File("seeder"));
        await using var leecher = await TransferNode.StartAsync("leecher", _directory.File("leecher"), extra: NoDht());
        var source = TransferNode.WriteRandomFile(_directory.File("clip.mp4"), (3 * 1024 * 1024) + 7, seed: 12);
        var shared = await seeder.CallAsync("stream_create", new JsonObject { ["file_path"] = source, ["torrent"] = true });
        var infoHash = shared!["info_hash"]!.GetValue<string>();

        // The bare magnet names no peer and the leecher has no DHT: its metadata cannot come yet.
        var first = await leecher.CallAsync("get", new JsonObject { ["uri"] = $"magnet:?xt=urn:btih:{infoHash}" });
        Assert.True(first!["created"]!.GetValue<bool>());
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(leecher.Host.ApiUri, $"/stream/{infoHash}"));
        request.Headers.TryAddWithoutValidation("Range", "bytes=0-");
        var playing = http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);

        // The player is kept waiting (it used to be answered 409 at once), however long this looks.
        var answeredEarly = await Task.WhenAny(playing, Task.Delay(TimeSpan.FromSeconds(2))) == playing;
        Assert.False(answeredEarly, answeredEarly ? $"Answered before the metadata came: {(int)(await playing).StatusCode}" : null);

        // Now the seeder is named: the metadata comes, the session starts, the waiting request streams the file.
        var again = await leecher.CallAsync("get", new JsonObject { ["uri"] = $"magnet:?xt=urn:btih:{infoHash}", ["peers"] = new JsonArray(BtEndPoint(seeder).ToString()) });
        Assert.False(again!["created"]!.GetValue<bool>());
        using var response = await playing.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new FileInfo(source).Length, response.Content.Headers.ContentLength);
        var body = await response.Content.ReadAsByteArrayAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(await File.ReadAllBytesAsync(source), body);
    }

    [Fact]
    public async Task A_magnet_with_only_the_info_hash_is_found_through_the_mainline_dht()
    {
        await using var seeder = await TransferNode.StartAsync("seeder", _directory.File("seeder"));
        var seederDht = Torrents(seeder).DhtEndPoint!;

        // The third node joins through the seeder and the leecher through the third, so the peer is found by lookups.
        await using var middle = await TransferNode.StartAsync("middle", _directory.File("middle"), extra: Bootstrap(seederDht));
        await using var leecher = await TransferNode.StartAsync("leecher", _directory.File("leecher"), extra: Bootstrap(Torrents(middle).DhtEndPoint!));
        var source = TransferNode.WriteRandomFile(_directory.File("lecture.mp4"), 1_234_567, seed: 12);
        var shared = await seeder.CallAsync("stream_create", new JsonObject { ["file_path"] = source, ["torrent"] = true });
        var infoHash = shared!["info_hash"]!.GetValue<string>();

        await leecher.CallAsync("get", new JsonObject { ["uri"] = $"magnet:?xt=urn:btih:{infoHash}" });
        var done = await WaitForStatusAsync(leecher, infoHash, "completed");

        Assert.Equal(TransferNode.Sha256(source), TransferNode.Sha256(done["download_path"]!.GetValue<string>()));
        var status = await leecher.CallAsync("status");
        Assert.True(status!["bittorrent"]!["dht"]!["nodes"]!.GetValue<int>() >= 1, status.ToJsonString());
    }

    [Fact]
    public async Task A_magnet_waiting_for_its_metadata_is_kept_across_a_restart_and_completes_after_it()
    {
        var leecherRoot = _directory.File("leecher");
        var source = TransferNode.WriteRandomFile(_directory.File("notes.pdf"), 600_000, seed: 13);
        string link;
        string infoHash;

        // No peer has the torrent yet: the leecher lists the magnet with status "metadata" and stops so.
        await using (var seeder = await TransferNode.StartAsync("seeder", _directory.File("seeder")))
        {
            var shared = await seeder.CallAsync("stream_create", new JsonObject { ["file_path"] = source, ["torrent"] = true });
            infoHash = shared!["info_hash"]!.GetValue<string>();
            link = $"magnet:?xt=urn:btih:{infoHash}&dn=notes.pdf";
        }

        await using (var leecher = await TransferNode.StartAsync("leecher", leecherRoot, extra: NoDht()))
        {
            var got = await leecher.CallAsync("get", new JsonObject { ["uri"] = link });
            Assert.Equal("metadata", got!["status"]!.GetValue<string>());
            Assert.Equal("notes.pdf", got["stream_name"]!.GetValue<string>());
            Assert.True(got["awaiting_metadata"]!.GetValue<bool>());
        }

        // After a restart the magnet is fetched again, from a seeder that is now there.
        await using var again = await TransferNode.StartAsync("seeder", _directory.File("seeder2"));
        await again.CallAsync("stream_create", new JsonObject { ["file_path"] = source, ["torrent"] = true });
        await using var restarted = await TransferNode.StartAsync("leecher", leecherRoot, extra: NoDht());
        Assert.Equal("metadata", (await TorrentAsync(restarted, infoHash))["status"]!.GetValue<string>());
        await restarted.CallAsync("get", new JsonObject { ["uri"] = link, ["peers"] = new JsonArray(BtEndPoint(again).ToString()) });
        var done = await WaitForStatusAsync(restarted, infoHash, "completed");
        Assert.Equal(TransferNode.Sha256(source), TransferNode.Sha256(done["download_path"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_magnet_waiting_for_its_metadata_is_stopped_started_and_deleted_like_any_transfer()
    {
        await using var leecher = await TransferNode.StartAsync("leecher", _directory.File("leecher"), extra: NoDht());
        var infoHash = new string('7', 40);

        var got = await leecher.CallAsync("get", new JsonObject { ["uri"] = $"magnet:?xt=urn:btih:{infoHash}&dn=nobody-has-it.bin" });
        Assert.Equal("metadata", got!["status"]!.GetValue<string>());
        Assert.Equal(1, await FetchingAsync(leecher));

        await leecher.CallAsync("file_set_status", new JsonObject { ["info_hash"] = infoHash, ["status"] = "stop" });
        Assert.Equal("stopped", (await TorrentAsync(leecher, infoHash))["status"]!.GetValue<string>());
        Assert.Equal(0, await FetchingAsync(leecher));

        await leecher.CallAsync("file_set_status", new JsonObject { ["info_hash"] = infoHash, ["status"] = "start" });
        Assert.Equal("metadata", (await TorrentAsync(leecher, infoHash))["status"]!.GetValue<string>());
        Assert.Equal(1, await FetchingAsync(leecher));

        await leecher.CallAsync("file_delete", new JsonObject { ["info_hash"] = infoHash });
        var list = await leecher.CallAsync("file_list", new JsonObject { ["info_hash"] = infoHash });
        Assert.Empty(list!["items"]!.AsArray());
        Assert.Equal(0, await FetchingAsync(leecher));
    }

    [Fact]
    public async Task A_smartshare_file_with_a_torrent_form_is_got_over_bittorrent_when_asked()
    {
        await using var seeder = await TransferNode.StartAsync("seeder", _directory.File("seeder"));
        await using var leecher = await TransferNode.StartAsync("leecher", _directory.File("leecher"), extra: NoDht());
        var source = TransferNode.WriteRandomFile(_directory.File("photo.raw"), 900_000, seed: 14);
        var sharePath = _directory.File("photo.smartshare");
        var shared = await seeder.CallAsync("stream_create", new JsonObject
        {
            ["file_path"] = source,
            ["torrent"] = true,
            ["smartshare_path"] = sharePath,
            ["advertise"] = new JsonArray("127.0.0.1"),
        });
        var infoHash = shared!["info_hash"]!.GetValue<string>();

        var got = await leecher.CallAsync("get", new JsonObject { ["uri"] = sharePath, ["bittorrent"] = true });

        Assert.Equal("torrent", got!["type"]!.GetValue<string>());
        var done = await WaitForStatusAsync(leecher, infoHash, "completed");
        Assert.Equal(TransferNode.Sha256(source), TransferNode.Sha256(done["download_path"]!.GetValue<string>()));
    }

    private static Dictionary<string, JsonNode?> NoDht() => new() { [NodeSettingKeys.BtDht] = false };

    private static Dictionary<string, JsonNode?> Bootstrap(IPEndPoint node) =>
        new() { [NodeSettingKeys.BtBootstrap] = new JsonArray(new IPEndPoint(IPAddress.Loopback, node.Port).ToString()) };

    private static TorrentManager Torrents(TransferNode node) => node.Host.Services.GetRequiredService<TorrentManager>();

    private static IPEndPoint BtEndPoint(TransferNode node) => new(IPAddress.Loopback, Torrents(node).ListenEndPoint.Port);

    private static async Task<int> FetchingAsync(TransferNode node) =>
        (await node.CallAsync("status"))!["bittorrent"]!["fetching_metadata"]!.GetValue<int>();

    private static async Task<JsonObject> TorrentAsync(TransferNode node, string infoHash)
    {
        var list = await node.CallAsync("file_list", new JsonObject { ["info_hash"] = infoHash });
        return (JsonObject)list!["items"]!.AsArray().Single()!;
    }

    private static async Task<JsonObject> WaitForStatusAsync(TransferNode node, string infoHash, string status)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        JsonObject? item = null;
        try
        {
            while (true)
            {
                item = await TorrentAsync(node, infoHash);
                if (item["status"]!.GetValue<string>() == status)
                {
                    return item;
                }

                Assert.False(item["status"]!.GetValue<string>() is "failed" or "stopped", $"{node.Name}: torrent {infoHash}: {item.ToJsonString()}");
                await Task.Delay(50, timeout.Token);
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{node.Name}: torrent {infoHash} did not become {status} within 60 s; last: {item?.ToJsonString()}");
        }
    }
}
