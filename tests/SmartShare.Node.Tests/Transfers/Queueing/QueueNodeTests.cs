using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SmartShare.Node.Settings;
using SmartShare.Node.Tests.Downloads;
using SmartShare.Node.Torrents;

namespace SmartShare.Node.Tests.Transfers.Queueing;

/// <summary>
/// Queues, seeding goals and the watch folder on real nodes over loopback: torrents made and seeded by one node,
/// downloaded by another through the API.
/// </summary>
public sealed class QueueNodeTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(150);

    private readonly NodeTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Five_torrents_with_two_download_slots_run_two_at_a_time_keep_their_queue_over_a_restart_and_all_complete_in_queue_order()
    {
        // A slow seeder (64 KiB/s for the whole node: 16 s at least for the first two files together) keeps them
        // downloading through the looks and the restart.
        await using var seeder = await TransferNode.StartAsync(
            "seeder", _directory.File("seeder"), extra: new Dictionary<string, JsonNode?> { [NodeSettingKeys.MaxUploadRate] = 64 });
        var peer = new IPEndPoint(IPAddress.Loopback, seeder.Host.Services.GetRequiredService<TorrentManager>().ListenEndPoint.Port);
        var torrents = new List<(string Key, string Source)>();
        for (var n = 1; n <= 5; n++)
        {
            var source = TransferNode.WriteRandomFile(_directory.File($"part{n}.bin"), 512 * 1024, seed: 40 + n);
            var shared = (await seeder.CallAsync("stream_create", new JsonObject { ["file_path"] = source, ["torrent"] = true, ["torrent_path"] = _directory.File($"part{n}.torrent") }))!;
            torrents.Add((shared["info_hash"]!.GetValue<string>(), source));
        }

        var leecherRoot = _directory.File("leecher");
        var flags = new Dictionary<string, JsonNode?> { [NodeSettingKeys.MaxActiveDownloads] = 2 };
        var leecher = await TransferNode.StartAsync("leecher", leecherRoot, extra: flags);
        try
        {
            for (var n = 1; n <= 5; n++)
            {
                await leecher.CallAsync("get", new JsonObject { ["uri"] = _directory.File($"part{n}.torrent"), ["peers"] = new JsonArray(peer.ToString()) });
            }

            var listed = await ListAsync(leecher, torrents);
            Assert.Equal(["queued", "queued", "queued"], listed.Skip(2).Select(item => item["state"]!.GetValue<string>()));
            Assert.All(listed.Take(2), item => Assert.Contains(item["state"]!.GetValue<string>(), (string[])["checking", "downloading"]));
            Assert.Equal([0, 1, 2, 3, 4], listed.Select(item => item["queue_position"]!.GetValue<int>()));
            Assert.Equal("download", listed[2]["queued_for"]!.GetValue<string>());

            // The fifth to the top: it starts first when a slot frees.
            var moved = (await leecher.CallAsync("transfer_queue_move", new JsonObject { ["key"] = torrents[4].Key, ["to"] = "top" }))!;
            Assert.Equal(0, moved["queue_position"]!.GetValue<int>());

            // A restart brings back the same two running and the same order.
            await leecher.DisposeAsync();
            leecher = await TransferNode.StartAsync("leecher", leecherRoot, extra: flags);
            listed = await ListAsync(leecher, torrents);
            Assert.Equal(["queued", "queued", "queued"], listed.Skip(2).Select(item => item["state"]!.GetValue<string>()));
            Assert.All(listed.Take(2), item => Assert.Contains(item["state"]!.GetValue<string>(), (string[])["checking", "downloading"]));
            Assert.Equal([1, 2, 3, 4, 0], listed.Select(item => item["queue_position"]!.GetValue<int>()));

            // Watch every state until all five seed (2.5 MiB at the seeder's 64 KiB/s: about 40 s).
            var started = new Dictionary<int, int>();
            var mostActive = 0;
            using var limit = new CancellationTokenSource(Patience);
            for (var look = 0; ; look++)
            {
                listed = await ListAsync(leecher, torrents);
                var states = listed.Select(item => item["state"]!.GetValue<string>()).ToList();
                mostActive = Math.Max(mostActive, states.Count(state => state is "checking" or "downloading" or "fetching_metadata"));
                for (var i = 0; i < 5; i++)
                {
                    if (states[i] != "queued")
                    {
                        started.TryAdd(i, look);
                    }
                }

                if (states.All(state => state == "seeding"))
                {
                    break;
                }

                Assert.DoesNotContain("failed", states);
                Assert.False(limit.IsCancellationRequested, $"Not all five seed after {Patience}: {string.Join(", ", states)}");
                await Task.Delay(100, CancellationToken.None);
            }

            Assert.True(mostActive <= 2, $"{mostActive} downloads ran at once with two slots");
            Assert.True(started[4] <= started[2] && started[2] <= started[3], $"queued torrents started out of queue order (look at which each started: {string.Join(", ", started.OrderBy(s => s.Key))})");
            for (var i = 0; i < 5; i++)
            {
                Assert.Equal(TransferNode.Sha256(torrents[i].Source), TransferNode.Sha256(listed[i]["download_path"]!.GetValue<string>()));
            }
        }
        finally
        {
            await leecher.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_downloaded_torrent_stops_seeding_once_its_ratio_goal_is_reached_and_says_why()
    {
        await using var origin = await TransferNode.StartAsync("origin", _directory.File("origin"));
        await using var middle = await TransferNode.StartAsync(
            "middle", _directory.File("middle"), extra: new Dictionary<string, JsonNode?> { [NodeSettingKeys.SeedRatioLimit] = 1.0 });
        await using var last = await TransferNode.StartAsync("last", _directory.File("last"));
        var source = TransferNode.WriteRandomFile(_directory.File("album.bin"), 1024 * 1024, seed: 51);
        var torrentPath = _directory.File("album.torrent");
        var key = (await origin.CallAsync("stream_create", new JsonObject { ["file_path"] = source, ["torrent"] = true, ["torrent_path"] = torrentPath }))!["info_hash"]!.GetValue<string>();

        await middle.CallAsync("get", new JsonObject { ["uri"] = torrentPath, ["peers"] = new JsonArray(BtPeer(origin).ToString()) });
        var seeding = await WaitForAsync(middle, key, item => item["state"]!.GetValue<string>() == "seeding");
        Assert.Equal(1.0, seeding["seeding_goals"]!["ratio"]!.GetValue<double>());

        // The origin leaves: the last node can get the torrent only from the middle one, which uploads it whole.
        await origin.DisposeAsync();
        await last.CallAsync("get", new JsonObject { ["uri"] = torrentPath, ["peers"] = new JsonArray(BtPeer(middle).ToString()) });
        var copy = await WaitForAsync(last, key, item => item["state"]!.GetValue<string>() == "seeding");
        var stopped = await WaitForAsync(middle, key, item => item["state"]!.GetValue<string>() == "completed");

        Assert.Equal("ratio 1.0 reached", stopped["stop_reason"]!.GetValue<string>());
        Assert.True(stopped["progress"]!["ratio"]!.GetValue<double>() >= 1.0);
        Assert.Equal(TransferNode.Sha256(source), TransferNode.Sha256(copy["download_path"]!.GetValue<string>()));
        Assert.True(File.Exists(stopped["download_path"]!.GetValue<string>()));
    }

    [Fact]
    public async Task The_watch_folder_adds_a_torrent_and_a_smartshare_file_and_sets_garbage_aside_with_its_error()
    {
        await using var seeder = await TransferNode.StartAsync("seeder", _directory.File("seeder"));
        var watch = _directory.File("watch");
        Directory.CreateDirectory(watch);
        await using var node = await TransferNode.StartAsync("node", _directory.File("node"), extra: new Dictionary<string, JsonNode?> { [NodeSettingKeys.WatchDirectory] = watch });
        var source = TransferNode.WriteRandomFile(_directory.File("film.bin"), 300_000, seed: 61);
        var shared = (await seeder.CallAsync("stream_create", new JsonObject
        {
            ["file_path"] = source,
            ["torrent"] = true,
            ["torrent_path"] = _directory.File("film.torrent"),
            ["smartshare_path"] = _directory.File("film.smartshare"),
        }))!;

        File.Copy(_directory.File("film.torrent"), Path.Combine(watch, "film.torrent"));
        File.Copy(_directory.File("film.smartshare"), Path.Combine(watch, "film.smartshare"));
        await File.WriteAllTextAsync(Path.Combine(watch, "junk.torrent"), "this is not bencode");

        // A FIFO named like a torrent: reading it would block for ever, so it must be refused and set aside.
        SmartShare.Tests.Shared.HostileFiles.MakeFifo(Path.Combine(watch, "pipe.torrent"));

        using var limit = new CancellationTokenSource(Patience);
        while (Directory.EnumerateFiles(watch).Any())
        {
            await Task.Delay(100, limit.Token);
        }

        Assert.True(File.Exists(Path.Combine(watch, "added", "film.torrent")));
        Assert.True(File.Exists(Path.Combine(watch, "added", "film.smartshare")));
        Assert.True(File.Exists(Path.Combine(watch, "failed", "junk.torrent")));
        Assert.NotEmpty((await File.ReadAllTextAsync(Path.Combine(watch, "failed", "junk.torrent.error.txt"))).Trim());
        Assert.True(File.Exists(Path.Combine(watch, "failed", "pipe.torrent")));
        Assert.Contains("regular file", await File.ReadAllTextAsync(Path.Combine(watch, "failed", "pipe.torrent.error.txt")), StringComparison.Ordinal);
        var keys = ((JsonArray)(await node.CallAsync("file_list"))!["items"]!).Select(item => item!["key"]!.GetValue<string>()).ToList();
        Assert.Contains(shared["info_hash"]!.GetValue<string>(), keys);
        Assert.Contains(shared["sd_hash"]!.GetValue<string>(), keys);
    }

    private static IPEndPoint BtPeer(TransferNode node) => new(IPAddress.Loopback, node.Host.Services.GetRequiredService<TorrentManager>().ListenEndPoint.Port);

    private static async Task<List<JsonObject>> ListAsync(TransferNode node, List<(string Key, string Source)> torrents)
    {
        var items = ((JsonArray)(await node.CallAsync("file_list", new JsonObject { ["page_size"] = 100 }))!["items"]!).OfType<JsonObject>().ToList();
        return [.. torrents.Select(torrent => items.Single(item => item["key"]!.GetValue<string>() == torrent.Key))];
    }

    private static async Task<JsonObject> WaitForAsync(TransferNode node, string key, Func<JsonObject, bool> condition)
    {
        using var limit = new CancellationTokenSource(Patience);
        while (true)
        {
            var item = (JsonObject)((JsonArray)(await node.CallAsync("file_list", new JsonObject { ["key"] = key }))!["items"]!).Single()!;
            if (condition(item))
            {
                return item;
            }

            await Task.Delay(100, limit.Token);
        }
    }
}
