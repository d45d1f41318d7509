using SmartShare.Cli.Tests.Support;

namespace SmartShare.Cli.Tests.Commands;

/// <summary><c>smartshare limits</c> against a running node: the node's limits, the alternative set and schedule, one transfer's own, and bad input.</summary>
public sealed class LimitsCommandTests : IDisposable
{
    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Limits_shows_and_sets_the_nodes_limits_and_a_transfers_own()
    {
        await using var node = BackgroundSmartShare.Start(
            ["start", "--port", "0", "--bind", "127.0.0.1", "--api", "http://127.0.0.1:0", "--allow-lan", "--json", "--data-dir", _workspace.DataDirectory],
            _workspace.Root,
            _workspace.Environment);
        var api = (await node.WaitForLineAsync(@"API on (http://127\.0\.0\.1:\d+)")).Groups[1].Value;
        var source = _workspace.CreateRandomFile("talk.bin", 200_000);
        var infoHash = (await _workspace.RunAsync("share", source, "--torrent", "--api", api, "--json")).ShouldSucceedWithJson().GetProperty("info_hash").GetString()!;

        var set = await _workspace.RunAsync("limits", "--down", "2048", "--up", "512", "--alt-down", "100", "--alt-up", "50", "--alt", "on", "--schedule", "weekdays 22:00-07:00", "--api", api);
        var json = (await _workspace.RunAsync("limits", "--api", api, "--json")).ShouldSucceedWithJson();
        var own = (await _workspace.RunAsync("limits", infoHash[..8], "--down", "300", "--api", api, "--json")).ShouldSucceedWithJson();
        var shown = await _workspace.RunAsync("limits", infoHash[..8], "--api", api);
        var off = (await _workspace.RunAsync("limits", "--alt", "off", "--schedule", "off", "--api", api, "--json")).ShouldSucceedWithJson();

        set.ShouldExitWith(0);
        Assert.Contains("In force:    down 100 KiB/s, up 50 KiB/s (alternative speeds)", set.OutputLines);
        Assert.Contains("Normal:      down 2048 KiB/s, up 512 KiB/s", set.OutputLines);
        Assert.Contains("Schedule:    weekdays 22:00-07:00 (on, node's local time)", set.OutputLines);
        Assert.Equal(2048, json.GetProperty("max_download_rate").GetInt32());
        Assert.True(json.GetProperty("alt_speed_active").GetBoolean());
        Assert.Equal(300, own.GetProperty("download_limit").GetInt32());
        Assert.Contains("down 300 KiB/s, up no limit of its own", shown.StandardOutput, StringComparison.Ordinal);
        Assert.False(off.GetProperty("alt_speed_active").GetBoolean());
        Assert.Equal(2048, off.GetProperty("download_rate_limit").GetInt32());
        Assert.Equal(1, off.GetProperty("transfers_limited").GetInt32());

        Assert.Contains("--schedule must be days and a time range", (await _workspace.RunAsync("limits", "--down", "1", "--schedule", "lunchtime", "--api", api, "--json")).ShouldFailWith(2, "bad_input"), StringComparison.Ordinal);
        Assert.Contains("--down must be a whole number", (await _workspace.RunAsync("limits", "--down", "-3", "--api", api)).StandardError, StringComparison.Ordinal);
        Assert.Contains("own --down and --up", (await _workspace.RunAsync("limits", infoHash[..8], "--alt", "on", "--api", api, "--json")).ShouldFailWith(2, "bad_input"), StringComparison.Ordinal);
        // The bad --schedule changed nothing, --down included.
        Assert.Equal(2048, (await _workspace.RunAsync("limits", "--api", api, "--json")).ShouldSucceedWithJson().GetProperty("max_download_rate").GetInt32());
    }
}
