using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using SmartShare.Cli.Tests.Support;
using SmartShare.Node.Client;
using SmartShare.Tests.Shared;

namespace SmartShare.Cli.Tests.Commands;

/// <summary><c>start</c>, <c>status</c> and <c>stop</c> as separate processes talking through the node's API.</summary>
public sealed class NodeCommandsTests : IDisposable
{
    private readonly CliWorkspace _workspace = new();

    [Fact]
    public async Task Status_reports_the_running_node_and_stop_ends_it_with_its_summary()
    {
        await using var node = BackgroundSmartShare.Start(
            ["start", "--port", "0", "--bind", "127.0.0.1", "--api", "http://127.0.0.1:0", "--json", "--data-dir", _workspace.DataDirectory],
            _workspace.Root,
            _workspace.Environment);
        var started = await node.WaitForLineAsync(@"API on (http://127\.0\.0\.1:(\d+)), LBRY DHT listening on UDP 127\.0\.0\.1:(\d+)");
        var api = started.Groups[1].Value;
        var udpPort = int.Parse(started.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture);

        var status = (await _workspace.RunAsync("status", "--api", api, "--json")).ShouldSucceedWithJson();

        Assert.True(status.GetProperty("is_running").GetBoolean());
        Assert.Equal(api, status.GetProperty("api").GetString());
        Assert.Equal(udpPort, status.GetProperty("dht").GetProperty("udp_port").GetInt32());
        Assert.Equal(Path.GetFullPath(_workspace.DataDirectory), status.GetProperty("data_dir").GetString());

        var stop = (await _workspace.RunAsync("stop", "--api", api, "--json")).ShouldSucceedWithJson();
        Assert.True(stop.GetProperty("stopped").GetBoolean());

        var ended = await node.WaitForExitAsync();
        Assert.Equal(0, ended.ExitCode);
        var summary = ended.LastLineAsJson();
        Assert.True(summary.GetProperty("stopped").GetBoolean());
        Assert.Equal(udpPort, summary.GetProperty("udp_port").GetInt32());
        Assert.True(File.Exists(Path.Combine(_workspace.DataDirectory, "logs", "smartshare.log")));
    }

    [Fact]
    public async Task Get_of_dev_zero_on_a_running_node_is_refused_at_once_and_does_not_grow_the_node()
    {
        using var hostile = new HostileFiles();
        await using var node = BackgroundSmartShare.Start(
            ["start", "--port", "0", "--bind", "127.0.0.1", "--api", "http://127.0.0.1:0", "--json", "--data-dir", _workspace.DataDirectory],
            _workspace.Root,
            _workspace.Environment);
        var api = (await node.WaitForLineAsync(@"API on (http://127\.0\.0\.1:\d+)")).Groups[1].Value;
        using var client = new NodeApiClient(new Uri(api), timeout: TimeSpan.FromSeconds(30));
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await client.CallAsync("status", null, limit.Token);
        var before = ResidentKilobytes(node.ProcessId);

        foreach (var uri in new[] { HostileFiles.DevZero, hostile.ZeroTorrentLink })
        {
            // Before the fix each of these read /dev/zero without end: gigabytes in seconds.
            var error = await Assert.ThrowsAsync<NodeApiException>(() => client.CallAsync("get", new JsonObject { ["uri"] = uri }, limit.Token));
            Assert.Equal(-32602, error.Code);
            Assert.Contains("is a character device", error.Message, StringComparison.Ordinal);
        }

        var grown = ResidentKilobytes(node.ProcessId) - before;
        Assert.True(grown < 100 * 1024, $"The node grew by {grown} kB while refusing /dev/zero.");
    }

    [Theory]
    [InlineData("status")]
    [InlineData("stop")]
    public async Task Without_a_running_node_status_and_stop_say_so_and_exit_1(string command)
    {
        var api = $"http://127.0.0.1:{FreePort()}";

        var result = await _workspace.RunAsync(command, "--api", api, "--json");

        var message = result.ShouldFailWith(1, "not_running");
        Assert.Equal($"No SmartShare node is running at {api}; start one with `smartshare start`.", message);
    }

    [Fact]
    public async Task Status_finds_the_api_through_the_settings_file()
    {
        var api = $"http://127.0.0.1:{FreePort()}";
        Directory.CreateDirectory(_workspace.DataDirectory);
        await File.WriteAllTextAsync(Path.Combine(_workspace.DataDirectory, "settings.json"), $$"""{"api": "{{api}}"}""");

        var result = await _workspace.RunWithoutDataDirAsync(
            ["status", "--json", "--data-dir", _workspace.DataDirectory],
            new Dictionary<string, string?> { ["SMARTSHARE_API"] = null });

        Assert.Contains(api, result.ShouldFailWith(1, "not_running"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_setting_stops_start_with_a_sentence_naming_the_key()
    {
        var result = await _workspace.RunWithoutDataDirAsync(
            ["start", "--json", "--data-dir", _workspace.DataDirectory],
            new Dictionary<string, string?> { ["SMARTSHARE_PORT"] = "lots" });

        var message = result.ShouldFailWith(2, "bad_input");
        Assert.StartsWith("the environment variable SMARTSHARE_PORT: port must be", message, StringComparison.Ordinal);
    }

    public void Dispose() => _workspace.Dispose();

    // VmRSS from /proc/PID/status, in kB.
    private static long ResidentKilobytes(int processId)
    {
        var line = File.ReadLines($"/proc/{processId}/status").First(line => line.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
