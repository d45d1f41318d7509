using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using SmartShare.Cli.Tests.Support;

namespace SmartShare.Cli.Tests.Commands;

/// <summary>
/// The data directory names its node: <c>start</c> records its API in node.json, commands run with that directory
/// reach it, a node at --api that runs on another directory is refused, and a default port that is taken gives way.
/// </summary>
public sealed class DataDirectoryNodeTests : IDisposable
{
    private readonly CliWorkspace _workspace = new();

    [Fact]
    public async Task Two_nodes_started_with_only_a_data_directory_are_each_reached_by_it_and_stop_B_leaves_A_running()
    {
        // No port anywhere: not on the command line, and not the workspace's SMARTSHARE_API or SMARTSHARE_BT_PORT.
        // Whether 4444, 6881 and 5279 are free on this machine or not, the second node must find ports of its own.
        var environment = new Dictionary<string, string?>(_workspace.Environment)
        {
            ["SMARTSHARE_API"] = null,
            ["SMARTSHARE_BT_PORT"] = null,
        };
        var a = Path.Combine(_workspace.Root, "A");
        var b = Path.Combine(_workspace.Root, "B");
        await using var nodeA = BackgroundSmartShare.Start(["start", "--bind", "127.0.0.1", "--data-dir", a], _workspace.Root, environment);
        var apiA = (await nodeA.WaitForLineAsync(@"API on (http://127\.0\.0\.1:\d+)")).Groups[1].Value;
        await using var nodeB = BackgroundSmartShare.Start(["start", "--bind", "127.0.0.1", "--data-dir", b], _workspace.Root, environment);
        var apiB = (await nodeB.WaitForLineAsync(@"API on (http://127\.0\.0\.1:\d+)")).Groups[1].Value;
        Assert.NotEqual(apiA, apiB);

        // B's ports were A's defaults, taken: it said so once per port it moved.
        Assert.Single(nodeB.ErrorLines, line => line.Contains("API port", StringComparison.Ordinal) && line.Contains("is taken", StringComparison.Ordinal));
        Assert.Single(nodeB.ErrorLines, line => line.Contains("LBRY port", StringComparison.Ordinal) && line.Contains("is taken", StringComparison.Ordinal));

        foreach (var (directory, api) in new[] { (a, apiA), (b, apiB) })
        {
            var status = (await Run(environment, "status", "--json", "--data-dir", directory)).ShouldSucceedWithJson();
            Assert.Equal(Path.GetFullPath(directory), status.GetProperty("data_dir").GetString());
            Assert.Equal(api, status.GetProperty("api").GetString());
        }

        var refused = await Run(environment, "status", "--json", "--api", apiA, "--data-dir", b);
        var message = refused.ShouldFailWith(2, "bad_input");
        Assert.Contains(Path.GetFullPath(a), message, StringComparison.Ordinal);
        Assert.Contains(Path.GetFullPath(b), message, StringComparison.Ordinal);

        (await Run(environment, "stop", "--json", "--data-dir", b)).ShouldSucceedWithJson();
        Assert.Equal(0, (await nodeB.WaitForExitAsync()).ExitCode);
        Assert.False(File.Exists(Path.Combine(b, "node.json")), "A node that stopped cleanly leaves no node.json.");

        var stillA = (await Run(environment, "status", "--json", "--data-dir", a)).ShouldSucceedWithJson();
        Assert.Equal(Path.GetFullPath(a), stillA.GetProperty("data_dir").GetString());

        // With B stopped, nothing aimed at B may reach A, even where B's settings name A's address.
        (await Run(environment, "stop", "--json", "--data-dir", b)).ShouldFailWith(1, "not_running");
        (await Run(environment, "stop", "--json", "--data-dir", a)).ShouldSucceedWithJson();
        Assert.Equal(0, (await nodeA.WaitForExitAsync()).ExitCode);
    }

    [Fact]
    public async Task A_stale_node_file_is_ignored_and_a_node_started_on_an_api_port_0_is_found_by_its_data_directory()
    {
        Directory.CreateDirectory(_workspace.DataDirectory);
        var stalePort = CliWorkspace.UnusedPort();
        var nodeFile = Path.Combine(_workspace.DataDirectory, "node.json");
        File.WriteAllText(nodeFile, $$"""{"api":"http://127.0.0.1:{{stalePort}}","pid":{{DeadProcessId()}}}""");

        var status = await _workspace.RunAsync("status", "--json");
        var message = status.ShouldFailWith(1, "not_running");
        Assert.Equal($"No SmartShare node is running at {_workspace.Environment["SMARTSHARE_API"]}; start one with `smartshare start`.", message);

        // The stale file neither stops a start nor survives it.
        await using var node = BackgroundSmartShare.Start(
            ["start", "--port", "0", "--bind", "127.0.0.1", "--api-port", "0", "--data-dir", _workspace.DataDirectory], _workspace.Root, _workspace.Environment);
        var api = (await node.WaitForLineAsync(@"API on (http://127\.0\.0\.1:\d+)")).Groups[1].Value;
        using (var recorded = JsonDocument.Parse(File.ReadAllText(nodeFile)))
        {
            Assert.Equal(api, recorded.RootElement.GetProperty("api").GetString());
            Assert.Equal(node.ProcessId, recorded.RootElement.GetProperty("pid").GetInt32());
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(nodeFile));

        var running = (await _workspace.RunAsync("status", "--json")).ShouldSucceedWithJson();
        Assert.Equal(api, running.GetProperty("api").GetString());

        (await _workspace.RunAsync("stop", "--json")).ShouldSucceedWithJson();
        Assert.Equal(0, (await node.WaitForExitAsync()).ExitCode);
        Assert.False(File.Exists(nodeFile));
    }

    [Theory]
    [InlineData("--port")]
    [InlineData("--api-port")]
    public async Task An_explicitly_requested_port_that_is_taken_fails_the_start_with_one_error_and_no_shutdown_report(string flag)
    {
        var port = CliWorkspace.UnusedPort();
        using var tcp = new TcpListener(IPAddress.Loopback, port);
        tcp.Start();
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, port));
        string[] others = flag == "--port" ? ["--api-port", "0"] : ["--port", "0"];

        var result = await _workspace.RunAsync(["start", "--bind", "127.0.0.1", flag, port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. others]);

        result.ShouldExitWith(1);
        var error = Assert.Single(result.ErrorLines, line => line.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture), error, StringComparison.Ordinal);
        Assert.DoesNotContain(result.ErrorLines, line => line.Contains("stopped", StringComparison.OrdinalIgnoreCase) || line.Contains("is taken", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(_workspace.DataDirectory, "node.json")));
    }

    public void Dispose() => _workspace.Dispose();

    private Task<CliResult> Run(IReadOnlyDictionary<string, string?> environment, params string[] arguments) =>
        SmartShareProcess.RunAsync(arguments, _workspace.Root, environment);

    // The id of a process that has exited: a short-lived one of our own, so no other process can hold it yet (pids
    // are reused only after the counter wraps).
    private static int DeadProcessId()
    {
        using var process = System.Diagnostics.Process.Start("true") ?? throw new InvalidOperationException("Could not run true.");
        process.WaitForExit();
        return process.Id;
    }
}
