using System.Text.Json.Nodes;
using SmartShare.Node.Tests.Downloads;

namespace SmartShare.Node.Tests.Remote;

/// <summary>Transmission's queue and seeding-limit vocabulary on a real node: session-get/set, queue-move-*, torrent-set and status 3.</summary>
public sealed class TransmissionQueueTests : IDisposable
{
    private readonly NodeTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Session_limits_queue_moves_torrent_limits_and_queued_status_map_onto_the_node()
    {
        await using var node = await TransferNode.StartAsync("node", _directory.File("node"));
        var client = new TransmissionTestClient(node.Host.ApiUri);

        await client.SucceedAsync("session-set", new JsonObject
        {
            ["download-queue-enabled"] = true,
            ["download-queue-size"] = 1,
            ["seedRatioLimited"] = true,
            ["seedRatioLimit"] = 1.5,
            ["idle-seeding-limit-enabled"] = true,
            ["idle-seeding-limit"] = 20,
        });
        var session = await client.SucceedAsync("session-get");
        Assert.True(session["download-queue-enabled"]!.GetValue<bool>());
        Assert.Equal(1, session["download-queue-size"]!.GetValue<int>());
        Assert.Equal(1.5, session["seedRatioLimit"]!.GetValue<double>());
        Assert.Equal(20, session["idle-seeding-limit"]!.GetValue<int>());
        Assert.False(session["seed-queue-enabled"]!.GetValue<bool>());
        var settings = (await node.CallAsync("settings_get"))!;
        Assert.Equal(1, settings["max_active_downloads"]!.GetValue<int>());
        Assert.Equal(1.5, settings["seed_ratio_limit"]!.GetValue<double>());

        // Two magnets nobody serves: the first fetches its metadata (an active download), the second waits (status 3).
        foreach (var hash in (string[])["1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222"])
        {
            await client.SucceedAsync("torrent-add", new JsonObject { ["filename"] = $"magnet:?xt=urn:btih:{hash}&dn={hash[..4]}" });
        }

        var torrents = await client.TorrentsAsync(null, "id", "hashString", "status", "queuePosition", "seedRatioLimit", "seedRatioMode");
        Assert.Equal([4, 3], torrents.Select(t => t["status"]!.GetValue<int>()));
        Assert.Equal([0, 1], torrents.Select(t => t["queuePosition"]!.GetValue<int>()));
        Assert.All(torrents, t => Assert.Equal(1.5, t["seedRatioLimit"]!.GetValue<double>()));
        Assert.All(torrents, t => Assert.Equal(0, t["seedRatioMode"]!.GetValue<int>()));
        var (first, second) = (torrents[0]["id"]!.GetValue<int>(), torrents[1]["id"]!.GetValue<int>());
        var queue = (await node.CallAsync("status"))!["queue"]!;
        Assert.Equal(1, queue["max_active_downloads"]!.GetValue<int>());
        Assert.Equal(1, queue["downloading"]!.GetValue<int>());
        Assert.Equal(1, queue["queued_to_download"]!.GetValue<int>());

        await client.SucceedAsync("queue-move-top", new JsonObject { ["ids"] = new JsonArray(second) });
        Assert.Equal(0, (await client.TorrentsAsync(second, "queuePosition")).Single()["queuePosition"]!.GetValue<int>());
        await client.SucceedAsync("queue-move-down", new JsonObject { ["ids"] = new JsonArray(second) });
        Assert.Equal(1, (await client.TorrentsAsync(second, "queuePosition")).Single()["queuePosition"]!.GetValue<int>());

        await client.SucceedAsync("torrent-set", new JsonObject { ["ids"] = new JsonArray(first), ["seedRatioMode"] = 1, ["seedRatioLimit"] = 3, ["seedIdleMode"] = 2 });
        var set = (await client.TorrentsAsync(first, "seedRatioLimit", "seedRatioMode", "seedIdleMode", "seedIdleLimit")).Single();
        Assert.Equal(3.0, set["seedRatioLimit"]!.GetValue<double>());
        Assert.Equal(1, set["seedRatioMode"]!.GetValue<int>());
        Assert.Equal(2, set["seedIdleMode"]!.GetValue<int>());
        var view = (JsonObject)((JsonArray)(await node.CallAsync("file_list", new JsonObject { ["key"] = torrents[0]["hashString"]!.GetValue<string>() }))!["items"]!).Single()!;
        Assert.Equal(3.0, view["seeding_goals"]!["ratio"]!.GetValue<double>());
        Assert.Null(view["seeding_goals"]!["idle_time"]);

        // start-now skips the queue; wrong values are refused with a sentence and change nothing.
        await client.SucceedAsync("torrent-start-now", new JsonObject { ["ids"] = new JsonArray(second) });
        Assert.Equal(4, (await client.TorrentsAsync(second, "status")).Single()["status"]!.GetValue<int>());
        Assert.Contains("seedRatioLimit", await client.FailAsync("torrent-set", new JsonObject { ["ids"] = new JsonArray(first), ["seedRatioLimit"] = "lots" }), StringComparison.Ordinal);
        Assert.Contains("download-queue-size", await client.FailAsync("session-set", new JsonObject { ["download-queue-size"] = -1 }), StringComparison.Ordinal);
        Assert.Equal(1, (await node.CallAsync("settings_get"))!["max_active_downloads"]!.GetValue<int>());
    }
}
