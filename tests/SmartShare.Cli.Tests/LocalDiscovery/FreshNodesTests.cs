using System.Diagnostics;
using System.Text.Json;
using SmartShare.Cli.Tests.Support;
using Xunit.Abstractions;

namespace SmartShare.Cli.Tests.LocalDiscovery;

/// <summary>
/// Two fresh nodes on loopback, the second bootstrapped from the first, local discovery off: the first pings its
/// new requester back at once (its table is nearly empty), so a share it makes seconds later is announced to the
/// second, which gets the stream by sd hash alone. With lbry-sdk's 300 s ping-back this took about 5 minutes.
/// </summary>
public sealed class FreshNodesTests(ITestOutputHelper output) : IDisposable
{
    private readonly CliWorkspace _a = new();
    private readonly CliWorkspace _b = new();

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
    }

    [Fact]
    public async Task A_share_made_right_after_a_fresh_node_joined_through_us_reaches_it_by_sd_hash_within_seconds()
    {
        var watch = Stopwatch.StartNew();
        await using var first = Start(_a);
        var port = (await first.WaitForLineAsync(@"LBRY DHT listening on UDP 127\.0\.0\.1:(\d+)")).Groups[1].Value;
        await using var second = Start(_b, "--bootstrap", $"127.0.0.1:{port}");
        await second.WaitForLineAsync(@"API on http://127\.0\.0\.1:\d+");

        // Well under lbry-sdk's 300 s: the first node adds the second once it answers the immediate ping-back.
        await WaitUntilAsync(async () => (await DhtAsync(_a)).GetProperty("contacts").GetInt32() >= 1, TimeSpan.FromSeconds(30));
        var tableAt = watch.Elapsed;
        var source = _a.CreateRandomFile("song.ogg", (1024 * 1024) + 5);
        var sdHash = (await _a.RunAsync("share", source, "--out", Path.Combine(_a.Root, "song.smartshare"), "--json")).ShouldSucceedWithJson().GetProperty("sd_hash").GetString()!;
        var shareAt = watch.Elapsed;

        var got = (await _b.RunAsync("get", sdHash, "--download-dir", _b.DownloadDirectory, "--json")).ShouldSucceedWithJson();

        Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(got.GetProperty("path").GetString()!));
        Assert.True(watch.Elapsed - shareAt < TimeSpan.FromSeconds(60), $"get took {watch.Elapsed - shareAt}");
        output.WriteLine($"first node's table had the newcomer {tableAt.TotalSeconds:F1} s after start; get by sd hash took {(watch.Elapsed - shareAt).TotalSeconds:F1} s after the share");
    }

    private static BackgroundSmartShare Start(CliWorkspace workspace, params string[] extra) =>
        BackgroundSmartShare.Start(
            [
                "start", "--port", "0", "--bt-port", "0", "--no-bt-dht", "--bind", "127.0.0.1", "--allow-lan", "--api", "http://127.0.0.1:0",
                "--download-dir", workspace.DownloadDirectory, "--data-dir", workspace.DataDirectory, .. extra,
            ],
            workspace.Root,
            workspace.Environment);

    private static async Task<JsonElement> DhtAsync(CliWorkspace workspace) =>
        (await workspace.RunAsync("status", "--json")).ShouldSucceedWithJson().GetProperty("dht");

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeLimit)
    {
        var deadline = DateTime.UtcNow + timeLimit;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Not within {timeLimit.TotalSeconds} s.");
            await Task.Delay(250);
        }
    }
}
