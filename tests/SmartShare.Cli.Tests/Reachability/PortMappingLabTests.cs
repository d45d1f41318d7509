using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using SmartShare.Cli.Tests.Support;
using SmartShare.Tests.Shared;
using Xunit.Abstractions;

namespace SmartShare.Cli.Tests.Reachability;

/// <summary>
/// Our node behind a real home router (miniupnpd in the <see cref="NatLab"/>): it maps its four ports through PCP,
/// `status` shows the router's external address and the mappings, the router's nft table holds them, its share's
/// .smartshare file names the router's external address first, from which a node and libtorrent in "internet"
/// download the stream and the torrent straight from it, leases are renewed, a
/// rebooted router gets them back, and stopping the node deletes them. Needs root; where namespaces cannot be
/// made the test returns early and says why (xunit 2 has no runtime skip).
/// </summary>
public sealed class PortMappingLabTests(ITestOutputHelper output) : IDisposable
{
    private const string Api = "http://127.0.0.1:5279";
    private const int LbryPort = 4444;
    private const int BtPort = 6881;

    private readonly CliWorkspace _workspace = new();

    [Fact]
    public async Task A_node_behind_miniupnpd_is_mapped_reached_from_the_internet_renewed_remapped_after_a_reboot_and_unmapped_on_stop()
    {
        await using var lab = await NatLab.TryCreateAsync("sspm", output.WriteLine);
        if (lab is null)
        {
            return;
        }

        var clock = Stopwatch.StartNew();
        await using var node = BackgroundSmartShare.Start(
            ["start", "--port", LbryPort.ToString(CultureInfo.InvariantCulture), "--bt-port", BtPort.ToString(CultureInfo.InvariantCulture), "--api", Api, "--data-dir", _workspace.DataDirectory],
            _workspace.Root,
            NodeEnvironment(leaseSeconds: 20),
            lab.HomeLauncher);
        try
        {
            await node.WaitForLineAsync(@"API on http://127\.0\.0\.1:5279", TimeSpan.FromSeconds(90));
            var started = clock.Elapsed;
            await node.WaitForLineAsync(@"external address is 11\.77\.1\.1", TimeSpan.FromSeconds(60));
            var table = await lab.WaitForMappingsAsync(mappings => mappings.Count == 4, "the router holds the node's four ports", TimeSpan.FromSeconds(60));
            var mapped = clock.Elapsed;
            output.WriteLine($"Measured: node process start to API up {started.TotalSeconds:0.00} s; to four ports mapped and the external address known {mapped.TotalSeconds:0.00} s ({(mapped - started).TotalSeconds:0.00} s after the API was up).");

            Assert.Equal(
                [("tcp", LbryPort), ("tcp", BtPort), ("udp", LbryPort), ("udp", BtPort)],
                table.Select(m => (m.Protocol, m.ExternalPort)).Order());
            Assert.All(table, m => Assert.Equal((lab.HomeAddress, m.ExternalPort), (m.InternalAddress, m.InternalPort)));

            var section = await Home(lab).PortMappingStatusAsync();
            Assert.Equal("mapped", section.GetProperty("state").GetString());
            Assert.Equal("pcp", section.GetProperty("method").GetString());
            Assert.Equal(lab.RouterWanAddress.ToString(), section.GetProperty("external_address").GetString());
            Assert.Equal(4, section.GetProperty("mappings").GetArrayLength());
            var human = await RunInHomeAsync(lab, "status", "--api", Api, "--data-dir", _workspace.DataDirectory);
            Assert.Contains("Router:     mapped through pcp, external address 11.77.1.1", human.StandardOutput, StringComparison.Ordinal);

            await Home(lab).DownloadFromTheInternetAsync(LbryPort, BtPort, output);

            // The lease is 20 s: the node renews at half of it, so the same mapping's expiry moves on.
            var firstExpiry = Expiry(section, "tcp", BtPort);
            await Home(lab).WaitForStatusAsync(s => Expiry(s, "tcp", BtPort) > firstExpiry, "the node renewed its lease", TimeSpan.FromSeconds(60));

            // A power cycle: the router forgets every mapping (NatLabTests checks the table empties) and its epoch
            // starts again; the node hears its announcement (or sees the epoch at the next renewal) and maps again.
            await lab.RestartRouterAsync();
            await lab.WaitForMappingsAsync(mappings => mappings.Count == 4, "the node mapped its ports again after the router rebooted", TimeSpan.FromSeconds(60));
            await Home(lab).WaitForStatusAsync(s => s.GetProperty("restarts").GetInt32() >= 1 && s.GetProperty("state").GetString() == "mapped", "status counts the router's restart", TimeSpan.FromSeconds(60));

            (await RunInHomeAsync(lab, "stop", "--api", Api, "--data-dir", _workspace.DataDirectory, "--json")).ShouldSucceedWithJson();
            await node.WaitForExitAsync();
            Assert.Empty(await lab.ReadMappingsAsync());
        }
        finally
        {
            output.WriteLine("Node log:\n" + string.Join('\n', node.ErrorLines.TakeLast(60)));
            output.WriteLine("miniupnpd log (tail):\n" + string.Join('\n', lab.RouterLog.Split('\n').TakeLast(30)));
        }
    }

    [Fact]
    public async Task A_router_silent_to_pcp_maps_through_nat_pmp_and_its_reboot_is_seen_in_the_nat_pmp_epoch()
    {
        await using var lab = await NatLab.TryCreateAsync("sspm", output.WriteLine);
        if (lab is null)
        {
            return;
        }

        await lab.DropPcpAsync();
        await using var node = BackgroundSmartShare.Start(
            ["start", "--port", "4444", "--bt-port", "6881", "--api", Api, "--data-dir", _workspace.DataDirectory],
            _workspace.Root,
            NodeEnvironment(leaseSeconds: 20),
            lab.HomeLauncher);
        try
        {
            await node.WaitForLineAsync(@"API on http://127\.0\.0\.1:5279", TimeSpan.FromSeconds(90));
            await lab.WaitForMappingsAsync(mappings => mappings.Count == 4, "the node mapped its ports through NAT-PMP", TimeSpan.FromSeconds(60));
            var section = await Home(lab).WaitForStatusAsync(s => s.GetProperty("state").GetString() == "mapped", "status says mapped", TimeSpan.FromSeconds(30));
            Assert.Equal("nat-pmp", section.GetProperty("method").GetString());
            Assert.Equal(lab.RouterWanAddress.ToString(), section.GetProperty("external_address").GetString());
            Assert.Contains("NAT-PMP port mapping request", lab.RouterLog, StringComparison.Ordinal);
            Assert.DoesNotContain("PCP request received", lab.RouterLog, StringComparison.Ordinal);

            await lab.RestartRouterAsync();
            await lab.WaitForMappingsAsync(mappings => mappings.Count == 4, "the node mapped its ports again after the router rebooted", TimeSpan.FromSeconds(60));
            await Home(lab).WaitForStatusAsync(s => s.GetProperty("restarts").GetInt32() >= 1, "status counts the router's restart", TimeSpan.FromSeconds(60));

            (await RunInHomeAsync(lab, "stop", "--api", Api, "--data-dir", _workspace.DataDirectory, "--json")).ShouldSucceedWithJson();
            await node.WaitForExitAsync();
            Assert.Empty(await lab.ReadMappingsAsync());
        }
        finally
        {
            output.WriteLine("Node log:\n" + string.Join('\n', node.ErrorLines.TakeLast(40)));
        }
    }

    [Fact]
    public async Task With_no_port_mapping_the_node_leaves_the_router_alone_and_says_so()
    {
        await using var lab = await NatLab.TryCreateAsync("sspm", output.WriteLine);
        if (lab is null)
        {
            return;
        }

        await using var node = BackgroundSmartShare.Start(
            ["start", "--no-port-mapping", "--port", "4444", "--bt-port", "6881", "--api", Api, "--data-dir", _workspace.DataDirectory],
            _workspace.Root,
            NodeEnvironment(leaseSeconds: 20),
            lab.HomeLauncher);
        await node.WaitForLineAsync(@"API on http://127\.0\.0\.1:5279", TimeSpan.FromSeconds(90));

        var section = await Home(lab).WaitForStatusAsync(s => s.GetProperty("state").GetString() == "off", "status says port mapping is off", TimeSpan.FromSeconds(30));
        Assert.Contains("turned off", section.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Empty(await lab.ReadMappingsAsync());
        Assert.DoesNotContain("PCP request received", lab.RouterLog, StringComparison.Ordinal);
        Assert.DoesNotContain("NAT-PMP request received", lab.RouterLog, StringComparison.Ordinal);

    }

    [Fact]
    public async Task The_port_mapping_setting_turned_on_and_off_while_running_maps_and_deletes_and_a_router_announcing_its_restart_is_mapped_again_at_once()
    {
        await using var lab = await NatLab.TryCreateAsync("sspm", output.WriteLine);
        if (lab is null)
        {
            return;
        }

        // In settings.json (not a flag or variable, which settings_set cannot override).
        Directory.CreateDirectory(_workspace.DataDirectory);
        await File.WriteAllTextAsync(Path.Combine(_workspace.DataDirectory, "settings.json"), """{"port_mapping": false}""");
        var environment = NodeEnvironment(leaseSeconds: 600);
        environment["SMARTSHARE_PORT_MAPPING"] = null;
        await using var node = BackgroundSmartShare.Start(
            ["start", "--port", "4444", "--bt-port", "6881", "--api", Api, "--data-dir", _workspace.DataDirectory],
            _workspace.Root,
            environment,
            lab.HomeLauncher);
        await node.WaitForLineAsync(@"API on http://127\.0\.0\.1:5279", TimeSpan.FromSeconds(90));
        await Home(lab).WaitForStatusAsync(s => s.GetProperty("state").GetString() == "off", "status says port mapping is off", TimeSpan.FromSeconds(30));

        await SetSettingAsync(lab, "port_mapping", "true");
        await lab.WaitForMappingsAsync(mappings => mappings.Count == 4, "the node mapped its ports once port_mapping was set", TimeSpan.FromSeconds(60));

        // The lease is 600 s, so the renewal is 300 s away: the router's ANNOUNCE to 224.0.0.1:5350 at its restart
        // is what brings the mappings back within seconds.
        await lab.RestartRouterAsync();
        await lab.WaitForMappingsAsync(mappings => mappings.Count == 4, "the node heard the rebooted router's announcement and mapped again", TimeSpan.FromSeconds(60));
        await Home(lab).WaitForStatusAsync(s => s.GetProperty("restarts").GetInt32() >= 1, "status counts the router's restart", TimeSpan.FromSeconds(30));

        await SetSettingAsync(lab, "port_mapping", "false");
        await lab.WaitForMappingsAsync(mappings => mappings.Count == 0, "the node deleted its mappings once port_mapping was turned off", TimeSpan.FromSeconds(60));
        var section = await Home(lab).WaitForStatusAsync(s => s.GetProperty("state").GetString() == "off", "status says port mapping is off again", TimeSpan.FromSeconds(30));
        Assert.Equal(0, section.GetProperty("mappings").GetArrayLength());
    }

    public void Dispose() => _workspace.Dispose();

    private Dictionary<string, string?> NodeEnvironment(int leaseSeconds) => new(_workspace.Environment)
    {
        ["SMARTSHARE_PORT_MAPPING"] = "true",
        ["SMARTSHARE_PORT_MAPPING_LEASE"] = leaseSeconds.ToString(CultureInfo.InvariantCulture),
        ["SMARTSHARE_API"] = Api,
    };

    /// <summary>settings_set through the API from inside "home" (the CLI has no settings command; the node has no password).</summary>
    private static async Task SetSettingAsync(NatLab lab, string key, string jsonValue)
    {
        var request = $$$"""{"method": "settings_set", "params": {"key": "{{{key}}}", "value": {{{jsonValue}}}}}""";
        var result = await lab.RunAsync(lab.Home, "python3", "-c", PostJson, Api, request);
        Assert.True(result.Succeeded && !result.Output.Contains("\"error\"", StringComparison.Ordinal), result.ToString());
    }

    private const string PostJson = """
        import sys, urllib.request
        request = urllib.request.Request(sys.argv[1], data=sys.argv[2].encode(), headers={"Content-Type": "application/json"})
        print(urllib.request.urlopen(request, timeout=30).read().decode())
        """;

    private Task<CliResult> RunInHomeAsync(NatLab lab, params string[] arguments) => Home(lab).RunAsync(arguments);

    private HomeNode Home(NatLab lab) => new(lab, _workspace, Api);

    private static DateTimeOffset Expiry(JsonElement section, string protocol, int port) =>
        section.GetProperty("mappings").EnumerateArray()
            .Where(m => m.GetProperty("protocol").GetString() == protocol && m.GetProperty("internal_port").GetInt32() == port)
            .Select(m => DateTimeOffset.Parse(m.GetProperty("expires").GetString()!, CultureInfo.InvariantCulture))
            .Single();
}
