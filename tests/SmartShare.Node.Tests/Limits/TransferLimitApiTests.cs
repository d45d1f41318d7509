using System.Text.Json.Nodes;
using SmartShare.Node.Client;
using SmartShare.Node.Settings;
using SmartShare.Node.Tests.Downloads;
using SmartShare.Node.Tests.Remote;

namespace SmartShare.Node.Tests.Limits;

/// <summary>
/// The limits through the API of a real node: transfer_set_limits (checked, shown in file_list, kept across a
/// restart, gone with file_delete), the limit settings in settings_get and status, and Transmission's fields.
/// </summary>
public sealed class TransferLimitApiTests : IDisposable
{
    private readonly NodeTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_transfers_own_limits_show_in_file_list_survive_a_restart_and_go_with_file_delete()
    {
        var root = _directory.File("node");
        string infoHash;
        string sdHash;
        await using (var node = await TransferNode.StartAsync("node", root))
        {
            (sdHash, infoHash) = await ShareAsync(node);
            var answer = (JsonObject)(await node.CallAsync("transfer_set_limits", new JsonObject { ["key"] = infoHash, ["download_rate"] = 300, ["upload_rate"] = 200 }))!;
            await node.CallAsync("transfer_set_limits", new JsonObject { ["sd_hash"] = sdHash, ["upload_rate"] = 64 });
            // A missing rate stays; null clears.
            await node.CallAsync("transfer_set_limits", new JsonObject { ["key"] = infoHash, ["download_rate"] = null });

            Assert.Equal(300, answer["download_limit"]!.GetValue<int>());
            Assert.Contains("in effect now", answer["message"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        await using (var restarted = await TransferNode.StartAsync("node", root))
        {
            var torrent = await ItemAsync(restarted, "info_hash", infoHash);
            var stream = await ItemAsync(restarted, "sd_hash", sdHash);
            Assert.Null(torrent["download_limit"]);
            Assert.Equal(200, torrent["upload_limit"]!.GetValue<int>());
            Assert.Equal(64, stream["upload_limit"]!.GetValue<int>());
            Assert.Equal(2, (await restarted.CallAsync("status"))!["limits"]!["transfers_limited"]!.GetValue<int>());

            await restarted.CallAsync("file_delete", new JsonObject { ["key"] = infoHash });
            Assert.Equal(1, (await restarted.CallAsync("status"))!["limits"]!["transfers_limited"]!.GetValue<int>());
        }
    }

    [Theory]
    [InlineData("{\"key\": \"KEY\", \"download_rate\": -1}", "'download_rate' must be a whole number of KiB/s")]
    [InlineData("{\"key\": \"KEY\", \"upload_rate\": \"fast\"}", "'upload_rate' must be a whole number of KiB/s")]
    [InlineData("{\"key\": \"KEY\", \"upload_rate\": 1.5}", "'upload_rate' must be a whole number of KiB/s")]
    [InlineData("{\"key\": \"KEY\"}", "Give 'download_rate' or 'upload_rate'")]
    [InlineData("{\"download_rate\": 5}", "Name the transfer")]
    [InlineData("{\"key\": \"nonsense\", \"download_rate\": 5}", "must be an sd hash")]
    [InlineData("{\"key\": \"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee\", \"download_rate\": 5}", "lists no transfer")]
    public async Task Transfer_set_limits_refuses_bad_input_with_a_sentence(string parameters, string expected)
    {
        await using var node = await TransferNode.StartAsync("node", _directory.File("node"));
        var (_, infoHash) = await ShareAsync(node);

        var error = await Assert.ThrowsAsync<NodeApiException>(() => node.CallAsync("transfer_set_limits", (JsonObject)JsonNode.Parse(parameters.Replace("KEY", infoHash, StringComparison.Ordinal))!));

        Assert.Equal(-32602, error.Code);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Null((await ItemAsync(node, "info_hash", infoHash))["download_limit"]);
    }

    [Fact]
    public async Task Limit_settings_are_set_live_checked_and_shown_in_status()
    {
        await using var node = await TransferNode.StartAsync("node", _directory.File("node"));

        var set = await node.CallAsync("settings_set", new JsonObject { ["key"] = NodeSettingKeys.MaxDownloadRate, ["value"] = 700 });
        await node.CallAsync("settings_set", new JsonObject { ["key"] = NodeSettingKeys.AltDownloadRate, ["value"] = 40 });
        await node.CallAsync("settings_set", new JsonObject { ["key"] = NodeSettingKeys.AltSpeedSchedule, ["value"] = "Mon-Fri 22:00-07:30" });
        var before = (await node.CallAsync("status"))!["limits"]!;
        await node.CallAsync("settings_set", new JsonObject { ["key"] = NodeSettingKeys.AltSpeedEnabled, ["value"] = true });
        var after = (await node.CallAsync("status"))!["limits"]!;
        var settings = (await node.CallAsync("settings_get"))!;
        var badSchedule = await Assert.ThrowsAsync<NodeApiException>(() => node.CallAsync("settings_set", new JsonObject { ["key"] = NodeSettingKeys.AltSpeedSchedule, ["value"] = "someday 25:00-26:00" }));
        var badRate = await Assert.ThrowsAsync<NodeApiException>(() => node.CallAsync("settings_set", new JsonObject { ["key"] = NodeSettingKeys.MaxDownloadRate, ["value"] = -5 }));

        Assert.False(set!["restart_required"]!.GetValue<bool>());
        Assert.Equal(700, before["download_rate_limit"]!.GetValue<int>());
        Assert.False(before["alt_speed_active"]!.GetValue<bool>());
        Assert.Equal(40, after["download_rate_limit"]!.GetValue<int>());
        Assert.True(after["alt_speed_active"]!.GetValue<bool>());
        Assert.Equal("weekdays 22:00-07:30", settings["alt_speed_schedule"]!.GetValue<string>());
        Assert.Equal(-32602, badSchedule.Code);
        Assert.Contains("alt_speed_schedule must be days and a time range", badSchedule.Message, StringComparison.Ordinal);
        Assert.Contains("max_download_rate must be a whole number", badRate.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Transmission_session_and_torrent_speed_fields_map_onto_the_limits()
    {
        await using var node = await TransferNode.StartAsync("node", _directory.File("node"));
        var (_, infoHash) = await ShareAsync(node);
        var client = new TransmissionTestClient(node.Host.ApiUri);

        await client.SucceedAsync("session-set", new JsonObject
        {
            ["speed-limit-down"] = 2048,
            ["speed-limit-down-enabled"] = true,
            ["alt-speed-down"] = 100,
            ["alt-speed-up"] = 50,
            ["alt-speed-time-enabled"] = true,
            ["alt-speed-time-begin"] = 1320,
            ["alt-speed-time-end"] = 420,
            ["alt-speed-time-day"] = 62,
        });
        var session = await client.SucceedAsync("session-get");
        await client.SucceedAsync("torrent-set", new JsonObject { ["ids"] = infoHash, ["downloadLimit"] = 512, ["downloadLimited"] = true, ["uploadLimit"] = 99 });
        var torrent = (await client.TorrentsAsync(infoHash, "downloadLimit", "downloadLimited", "uploadLimit", "uploadLimited", "honorsSessionLimits")).Single();
        var refused = await client.FailAsync("torrent-set", new JsonObject { ["ids"] = infoHash, ["honorsSessionLimits"] = false });
        await client.SucceedAsync("session-set", new JsonObject { ["speed-limit-down-enabled"] = false });

        var current = node.Host.Settings.Current;
        Assert.Equal(2048, session["speed-limit-down"]!.GetValue<long>());
        Assert.True(session["speed-limit-down-enabled"]!.GetValue<bool>());
        Assert.Equal(98, current.AltDownloadKibPerSecond);
        Assert.Equal(100, session["alt-speed-down"]!.GetValue<long>());
        Assert.True(session["alt-speed-time-enabled"]!.GetValue<bool>());
        Assert.Equal(1320, session["alt-speed-time-begin"]!.GetValue<int>());
        Assert.Equal(420, session["alt-speed-time-end"]!.GetValue<int>());
        Assert.Equal(62, session["alt-speed-time-day"]!.GetValue<int>());
        Assert.Equal("weekdays 22:00-07:00", current.AltSpeedSchedule);
        Assert.Equal(512, torrent["downloadLimit"]!.GetValue<long>());
        Assert.True(torrent["downloadLimited"]!.GetValue<bool>());
        // An upload limit given without uploadLimited, on a torrent with none, is not turned on (Transmission keeps it unused).
        Assert.False(torrent["uploadLimited"]!.GetValue<bool>());
        Assert.True(torrent["honorsSessionLimits"]!.GetValue<bool>());
        Assert.Contains("always applies the session's speed limits", refused, StringComparison.Ordinal);
        Assert.Equal(500, (await ItemAsync(node, "info_hash", infoHash))["download_limit"]!.GetValue<int>());
        Assert.Equal(0, node.Host.Settings.Current.MaxDownloadKibPerSecond);
    }

    private async Task<(string SdHash, string InfoHash)> ShareAsync(TransferNode node)
    {
        var source = TransferNode.WriteRandomFile(_directory.File("notes.bin"), 300_000, seed: 51);
        var shared = (await node.CallAsync("stream_create", new JsonObject { ["file_path"] = source, ["torrent"] = true, ["torrent_path"] = _directory.File("notes.torrent"), ["overwrite"] = true }))!;
        return (shared["sd_hash"]!.GetValue<string>(), shared["info_hash"]!.GetValue<string>());
    }

    private static async Task<JsonObject> ItemAsync(TransferNode node, string name, string key) =>
        (JsonObject)(await node.CallAsync("file_list", new JsonObject { [name] = key }))!["items"]!.AsArray().Single()!;
}
