using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SmartShare.Cli.Tests.Support;
using SmartShare.Tests.Shared;
using Xunit.Abstractions;

namespace SmartShare.Cli.Tests.Reachability;

/// <summary>
/// Our node behind a router that speaks UPnP IGD only (miniupnpd with NAT-PMP/PCP off, in the <see cref="NatLab"/>):
/// the port-mapping service finds no PCP or NAT-PMP gateway, falls through to UPnP, maps the four ports, learns the
/// external address through GetExternalIPAddress, its share names that address first, from which a node and libtorrent
/// in "internet" download the stream and the torrent, and stopping the node deletes the mappings. Needs root; where
/// namespaces cannot be made the test returns early and says why (xunit 2 has no runtime skip).
/// </summary>
public sealed class UpnpNodeLabTests(ITestOutputHelper output) : IDisposable
{
    private const string Api = "http://127.0.0.1:5279";
    private const int LbryPort = 4444;
    private const int BtPort = 6881;

    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task A_node_behind_a_upnp_only_router_maps_its_ports_through_upnp_is_reached_and_unmaps_on_stop()
    {
        await using var lab = await NatLab.TryCreateAsync("ssup", output.WriteLine, new NatLabOptions { NatPmp = false });
        if (lab is null)
        {
            return;
        }

        var clock = Stopwatch.StartNew();
        await using var node = BackgroundSmartShare.Start(
            ["start", "--port", LbryPort.ToString(CultureInfo.InvariantCulture), "--bt-port", BtPort.ToString(CultureInfo.InvariantCulture), "--api", Api, "--data-dir", _workspace.DataDirectory],
            _workspace.Root,
            new Dictionary<string, string?>(_workspace.Environment) { ["SMARTSHARE_PORT_MAPPING"] = "true", ["SMARTSHARE_API"] = Api },
            lab.HomeLauncher);
        try
        {
            await node.WaitForLineAsync(@"API on http://127\.0\.0\.1:5279", TimeSpan.FromSeconds(90));
            var started = clock.Elapsed;
            var table = await lab.WaitForMappingsAsync(mappings => mappings.Count == 4, "the router holds the node's four ports", TimeSpan.FromSeconds(90));
            var section = await new HomeNode(lab, _workspace, Api).WaitForStatusAsync(s => s.GetProperty("state").GetString() == "mapped" && s.GetProperty("external_address").ValueKind == JsonValueKind.String, "status shows the UPnP mappings and the external address", TimeSpan.FromSeconds(60));
            var mapped = clock.Elapsed;
            output.WriteLine($"Measured (UPnP only): node process start to API up {started.TotalSeconds:0.00} s; to four ports mapped and the external address known {mapped.TotalSeconds:0.00} s ({(mapped - started).TotalSeconds:0.00} s after the API was up, PCP and NAT-PMP tried first).");

            Assert.Equal(
                [("tcp", LbryPort), ("tcp", BtPort), ("udp", LbryPort), ("udp", BtPort)],
                table.Select(m => (m.Protocol, m.ExternalPort)).Order());
            Assert.All(table, m => Assert.Equal((lab.HomeAddress, m.ExternalPort), (m.InternalAddress, m.InternalPort)));
            Assert.Equal("upnp", section.GetProperty("method").GetString());
            Assert.Equal(lab.RouterWanAddress.ToString(), section.GetProperty("external_address").GetString());
            Assert.Contains("AddPortMapping", lab.RouterLog, StringComparison.Ordinal);

            await new HomeNode(lab, _workspace, Api).DownloadFromTheInternetAsync(LbryPort, BtPort, output);

            (await SmartShareProcess.RunAsync(["stop", "--api", Api, "--data-dir", _workspace.DataDirectory, "--json"], _workspace.Root, _workspace.Environment, TimeSpan.FromSeconds(60), launcher: lab.HomeLauncher)).ShouldSucceedWithJson();
            await node.WaitForExitAsync();
            Assert.Empty(await lab.ReadMappingsAsync());
            Assert.Contains("DeletePortMapping", lab.RouterLog, StringComparison.Ordinal);
        }
        finally
        {
            output.WriteLine("Node log:\n" + string.Join('\n', node.ErrorLines.TakeLast(60)));
            output.WriteLine("miniupnpd log (tail):\n" + string.Join('\n', lab.RouterLog.Split('\n').TakeLast(30)));
        }
    }
}
