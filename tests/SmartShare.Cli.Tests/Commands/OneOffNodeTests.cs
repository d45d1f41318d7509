using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using SmartShare.Cli.Tests.Support;

namespace SmartShare.Cli.Tests.Commands;

/// <summary>
/// With no node running, <c>list</c>, <c>share</c> and <c>get</c> still go through a node's API: a one-off node started
/// in the command's own process, on free ports, stopped before the command exits. These run the real binary on a real
/// data directory and check what the one-off leaves behind: no API port ever opened, no API token, its LBRY port
/// free again, no DHT traffic for <c>list</c> and <c>share</c>.
/// </summary>
public sealed partial class OneOffNodeTests : IDisposable
{
    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task List_share_and_get_with_no_node_running_work_through_a_one_off_node_that_is_gone_when_each_ends()
    {
        // A bootstrap node in the settings, which list and share must not contact: they need no network.
        using var bootstrap = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var bootstrapPort = ((IPEndPoint)bootstrap.Client.LocalEndPoint!).Port;
        var environment = new Dictionary<string, string?>
        {
            ["SMARTSHARE_BOOTSTRAP"] = $"127.0.0.1:{bootstrapPort}",
            ["SMARTSHARE_ALLOW_LAN"] = "true",
        };
        var source = _workspace.CreateRandomFile("minutes.txt", 300_000);

        var empty = await RunAsync(environment, "list");
        Assert.Equal(0, empty.ShouldSucceedWithJson().GetProperty("total_items").GetInt32());
        ShouldBeGone(empty);

        var share = await RunAsync(environment, "share", source);
        var sdHash = share.ShouldSucceedWithJson().GetProperty("sd_hash").GetString()!;
        ShouldBeGone(share);

        var listed = await RunAsync(environment, "list");
        var item = Assert.Single(listed.ShouldSucceedWithJson().GetProperty("items").EnumerateArray());
        Assert.Equal(sdHash, item.GetProperty("sd_hash").GetString());
        Assert.Equal("share", item.GetProperty("kind").GetString());
        Assert.Equal("completed", item.GetProperty("status").GetString());
        Assert.False(item.TryGetProperty("streaming_url", out _), "A one-off node's /stream URL leads nowhere once the command ends.");
        ShouldBeGone(listed);

        // Neither list nor share had any reason to reach the DHT.
        Assert.Equal(0, bootstrap.Available);

        var got = await RunAsync(environment, "get", sdHash, "--download-dir", _workspace.DownloadDirectory);
        var path = got.ShouldSucceedWithJson().GetProperty("path").GetString()!;
        Assert.Equal(CliWorkspace.Sha256Of(source), CliWorkspace.Sha256Of(path));
        ShouldBeGone(got);
    }

    [Fact]
    public async Task A_one_off_node_for_list_starts_without_waiting_for_the_dht()
    {
        // A bootstrap node that never answers: a node waiting to join through it would not start within the bound.
        using var silent = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var environment = new Dictionary<string, string?>
        {
            ["SMARTSHARE_BOOTSTRAP"] = $"127.0.0.1:{((IPEndPoint)silent.Client.LocalEndPoint!).Port}",
            ["SMARTSHARE_ALLOW_LAN"] = "true",
            ["SMARTSHARE_PORT"] = "4444",
        };

        var result = await RunAsync(environment, "list");

        result.ShouldSucceedWithJson();
        var started = StartedLine().Match(result.StandardError);
        Assert.True(started.Success, result.ToString());
        var seconds = double.Parse(started.Groups["seconds"].Value, CultureInfo.InvariantCulture);
        Assert.True(seconds < 5, $"The one-off node took {seconds} s to start.\n{result}");

        // Every port free, not the configured 4444, so it never collides with a node started later.
        Assert.NotEqual("4444", started.Groups["port"].Value);
        ShouldBeGone(result);
    }

    private Task<CliResult> RunAsync(IReadOnlyDictionary<string, string?> environment, params string[] arguments) =>
        _workspace.RunWithoutDataDirAsync([.. arguments, "--data-dir", _workspace.DataDirectory, "--json", "--verbose"], environment);

    // The one-off node opened no API port (its command called it in process: its log says so) and wrote no API token;
    // once the command has exited its LBRY port is free again.
    private void ShouldBeGone(CliResult result)
    {
        var started = StartedLine().Match(result.StandardError);
        Assert.True(started.Success, $"The command did not say it started a node in its process.\n{result}");
        var log = File.ReadAllText(Path.Combine(_workspace.DataDirectory, "logs", "smartshare.log"));
        Assert.Contains("API on no HTTP port (in-process calls only)", log, StringComparison.Ordinal);
        Assert.DoesNotContain("API on http", log, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_workspace.DataDirectory, "api-token")), "The one-off node wrote an API token file.");
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, int.Parse(started.Groups["port"].Value, CultureInfo.InvariantCulture)));
    }

    [GeneratedRegex(@"started one in this process in (?<seconds>[0-9.]+) s \(called in this process, no API port; LBRY port (?<port>\d+)\)")]
    private static partial Regex StartedLine();
}
