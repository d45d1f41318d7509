using System.Text.Json;
using SmartShare.Cli.Tests.Support;
using SmartShare.Tests.Shared;
using Xunit.Abstractions;

namespace SmartShare.Cli.Tests.Reachability;

/// <summary>Our node in the lab's "home" namespace, as the lab tests drive it: commands against its API, its port-mapping status, and downloads from "internet".</summary>
internal sealed class HomeNode(NatLab lab, CliWorkspace workspace, string api)
{
    /// <summary>A command run inside "home".</summary>
    public Task<CliResult> RunAsync(params string[] arguments) =>
        SmartShareProcess.RunAsync(arguments, workspace.Root, workspace.Environment, TimeSpan.FromSeconds(60), launcher: lab.HomeLauncher);

    /// <summary>
    /// The home node's share names the router's mapped address first (then its LAN address): a node in "internet"
    /// (ours, a one-off node per command) gets the stream and the torrent from the .smartshare file alone, and
    /// libtorrent in "internet" downloads the torrent from the peer the file names.
    /// </summary>
    public async Task DownloadFromTheInternetAsync(int lbryPort, int btPort, ITestOutputHelper output)
    {
        var source = workspace.CreateRandomFile("shared.bin", 3 * 1024 * 1024 + 17);
        var card = Path.Combine(workspace.Root, "shared.smartshare");
        (await RunAsync("share", source, "--torrent", "--private", "--out", card, "--api", api, "--data-dir", workspace.DataDirectory, "--json")).ShouldSucceedWithJson();
        var torrent = Path.Combine(workspace.Root, "shared.bin.torrent");
        Assert.True(File.Exists(torrent), $"share --torrent wrote no {torrent}");

        using var written = JsonDocument.Parse(await File.ReadAllBytesAsync(card));
        var contacts = written.RootElement.GetProperty("contacts").EnumerateArray().ToList();
        var external = $"{lab.RouterWanAddress}:{lbryPort}";
        Assert.Equal((external, external), (contacts[0].GetProperty("dht").GetString(), contacts[0].GetProperty("blob").GetString()));
        Assert.Contains(contacts.Skip(1), contact => contact.GetProperty("blob").GetString() == $"{lab.HomeAddress}:{lbryPort}");
        var btPeers = written.RootElement.GetProperty("bittorrent").GetProperty("peers").EnumerateArray().Select(peer => peer.GetString()!).ToList();
        Assert.Equal($"{lab.RouterWanAddress}:{btPort}", btPeers[0]);

        foreach (var (kind, extra) in new[] { ("stream", Array.Empty<string>()), ("torrent", ["--bittorrent"]) })
        {
            var downloads = Path.Combine(workspace.Root, "internet-" + kind);
            var result = await SmartShareProcess.RunAsync(
                ["get", card, .. extra, "--download-dir", downloads, "--data-dir", Path.Combine(workspace.Root, "internet-data-" + kind), "--timeout", "60", "--json"],
                workspace.Root,
                workspace.Environment,
                TimeSpan.FromSeconds(120),
                launcher: lab.InternetLauncher);
            output.WriteLine(result.ToString());
            result.ShouldSucceedWithJson();
            Assert.Equal(CliWorkspace.Sha256Of(source), CliWorkspace.Sha256Of(Path.Combine(downloads, "shared.bin")));
        }

        var into = Directory.CreateDirectory(Path.Combine(workspace.Root, "internet-libtorrent")).FullName;
        await using (var libtorrent = LocalDiscovery.LtLsdPeer.Start(lab.InternetLauncher, seed: false, torrent, into, $"{lab.InternetAddress}:0", peers: [btPeers[0]]))
        {
            await libtorrent.WaitForAsync("finished", TimeSpan.FromSeconds(120));
        }

        Assert.Equal(CliWorkspace.Sha256Of(source), CliWorkspace.Sha256Of(Path.Combine(into, "shared.bin")));
    }

    public async Task<JsonElement> PortMappingStatusAsync()
    {
        var status = (await RunAsync("status", "--api", api, "--data-dir", workspace.DataDirectory, "--json")).ShouldSucceedWithJson();
        Assert.True(status.TryGetProperty("port_mapping", out var section), $"status has no port_mapping section: {status}");
        return section;
    }

    public async Task<JsonElement> WaitForStatusAsync(Func<JsonElement, bool> condition, string what, TimeSpan timeLimit)
    {
        var deadline = DateTime.UtcNow + timeLimit;
        while (true)
        {
            var section = await PortMappingStatusAsync();
            if (condition(section))
            {
                return section;
            }

            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting until {what}; port_mapping is {section}");
            await Task.Delay(500);
        }
    }
}
