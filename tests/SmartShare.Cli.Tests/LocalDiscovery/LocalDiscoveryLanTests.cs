using System.Text.Json;
using SmartShare.Cli.Tests.Support;
using Xunit.Abstractions;

namespace SmartShare.Cli.Tests.LocalDiscovery;

/// <summary>
/// Local peer discovery on a LAN of two network namespaces joined by a veth pair (<see cref="NamespaceLan"/>), with
/// no tracker, no DHT and no peer named anywhere: our nodes find each other (BitTorrent and LBRY), and libtorrent's
/// LSD and ours find each other in both directions. Each direction is proven by silencing the other side's
/// announces with nftables. Without root or namespace support the tests say why in their output and pass.
/// </summary>
public sealed class LocalDiscoveryLanTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan TransferLimit = TimeSpan.FromMinutes(2);

    private readonly CliWorkspace _a = new();
    private readonly CliWorkspace _b = new();

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
    }

    [Fact]
    public async Task Two_of_our_nodes_find_each_other_and_transfer_a_torrent_with_no_tracker_and_no_dht()
    {
        await using var lan = await LanOrReasonAsync();
        if (lan is null)
        {
            return;
        }

        var source = _a.CreateRandomFile("film.mkv", (3 * 1024 * 1024) + 777);
        await using var seeder = await StartNodeAsync(lan, 0, _a);
        var shared = (await RunAsync(lan, 0, _a, "share", source, "--torrent", "--out", Path.Combine(_a.Root, "film.smartshare"), "--json")).ShouldSucceedWithJson();
        var torrent = shared.GetProperty("torrent").GetString()!;
        await using var getter = await StartNodeAsync(lan, 1, _b);

        var got = (await RunAsync(lan, 1, _b, "get", torrent, "--download-dir", _b.DownloadDirectory, "--json")).ShouldSucceedWithJson();

        Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(got.GetProperty("path").GetString()!));
        var status = await LocalDiscoveryStatusAsync(lan, 1, _b);
        Assert.Contains("239.192.152.143:6771 on veth1", status.GetProperty("groups").EnumerateArray().Select(g => g.GetString()));

        // The getter announces its torrent at the next round (every 2 s), which a fast transfer may beat.
        await WaitForAsync(
            async () => (await LocalDiscoveryStatusAsync(lan, 1, _b)).GetProperty("bittorrent").GetProperty("announces_sent").GetInt64() >= 1,
            "the getter announced its torrent too");
        var text = (await RunAsync(lan, 1, _b, "status")).StandardOutput;
        Assert.Contains("LAN:        local discovery on veth1", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Our_node_hears_libtorrents_announce_and_downloads_from_it()
    {
        await using var lan = await LanOrReasonAsync();
        if (lan is null)
        {
            return;
        }

        // Ours is never heard (its announces are dropped): libtorrent cannot find us, so only our hearing its announce
        // can start the transfer.
        await lan.SilenceLocalDiscoveryAsync(0);
        var source = _b.CreateRandomFile("album.flac", (2 * 1024 * 1024) + 12345);
        var torrent = (await RunAsync(lan, 1, _b, "share", source, "--torrent", "--out", Path.Combine(_b.Root, "album.smartshare"), "--json"))
            .ShouldSucceedWithJson().GetProperty("torrent").GetString()!;
        await using var node = await StartNodeAsync(lan, 0, _a);
        var get = RunAsync(lan, 0, _a, "get", torrent, "--download-dir", _a.DownloadDirectory, "--json");
        await WaitForAsync(async () => (await LocalDiscoveryStatusAsync(lan, 0, _a)).GetProperty("bittorrent").GetProperty("torrents").GetInt32() == 1, "our node tracks the torrent");

        await using var libtorrent = LtLsdPeer.Start(lan.Launcher(1), seed: true, torrent, Path.GetDirectoryName(source)!, $"{lan.Address(1)}:0");
        var got = (await get).ShouldSucceedWithJson();

        Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(got.GetProperty("path").GetString()!));
        var status = await LocalDiscoveryStatusAsync(lan, 0, _a);
        Assert.True(status.GetProperty("bittorrent").GetProperty("peers_found").GetInt32() >= 1, status.ToString());
    }

    [Fact]
    public async Task Libtorrent_hears_our_announce_and_downloads_from_us()
    {
        await using var lan = await LanOrReasonAsync();
        if (lan is null)
        {
            return;
        }

        // libtorrent is never heard: we cannot find it, so only its hearing our announce can start the transfer.
        await lan.SilenceLocalDiscoveryAsync(1);
        var source = _a.CreateRandomFile("lecture.mp4", (2 * 1024 * 1024) + 4321);
        var torrent = (await RunAsync(lan, 0, _a, "share", source, "--torrent", "--out", Path.Combine(_a.Root, "lecture.smartshare"), "--json"))
            .ShouldSucceedWithJson().GetProperty("torrent").GetString()!;
        var into = Path.Combine(_b.Root, "lt");
        Directory.CreateDirectory(into);
        await using var libtorrent = LtLsdPeer.Start(lan.Launcher(1), seed: false, torrent, into, $"{lan.Address(1)}:0");
        await libtorrent.WaitForAsync("listening", TimeSpan.FromSeconds(30));

        // Our node starts seeding after libtorrent listens: its announce on adding the torrent reaches libtorrent.
        await using var node = await StartNodeAsync(lan, 0, _a);
        await libtorrent.WaitForAsync("finished", TransferLimit);

        Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(Path.Combine(into, "lecture.mp4")));

        // We never heard libtorrent (its announces are dropped), so it was libtorrent that found us.
        var status = await LocalDiscoveryStatusAsync(lan, 0, _a);
        Assert.Equal(0, status.GetProperty("bittorrent").GetProperty("peers_found").GetInt32());
        Assert.True(status.GetProperty("bittorrent").GetProperty("announces_sent").GetInt64() >= 1, status.ToString());
        output.WriteLine(libtorrent.Describe());
    }

    [Fact]
    public async Task Two_of_our_nodes_find_each_others_lbry_stream_by_sd_hash_with_the_dht_bootstrapped_nowhere()
    {
        await using var lan = await LanOrReasonAsync();
        if (lan is null)
        {
            return;
        }

        var source = _a.CreateRandomFile("podcast.mp3", (3 * 1024 * 1024) + 99);
        await using var seeder = await StartNodeAsync(lan, 0, _a);
        var sdHash = (await RunAsync(lan, 0, _a, "share", source, "--out", Path.Combine(_a.Root, "podcast.smartshare"), "--json"))
            .ShouldSucceedWithJson().GetProperty("sd_hash").GetString()!;

        // The getter starts after the share went out: its "want" must bring the seeder's answer.
        await using var getter = await StartNodeAsync(lan, 1, _b);
        var got = (await RunAsync(lan, 1, _b, "get", sdHash, "--download-dir", _b.DownloadDirectory, "--json")).ShouldSucceedWithJson();

        Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(got.GetProperty("path").GetString()!));
        var lbry = (await LocalDiscoveryStatusAsync(lan, 1, _b)).GetProperty("lbry");
        Assert.True(lbry.GetProperty("peers_found").GetInt64() >= 1, lbry.ToString());
        Assert.True(lbry.GetProperty("wants_sent").GetInt64() >= 1, lbry.ToString());
    }

    [Fact]
    public async Task Start_with_no_local_discovery_joins_no_group_and_status_says_off()
    {
        await using var lan = await LanOrReasonAsync();
        if (lan is null)
        {
            return;
        }

        await using var node = await StartNodeAsync(lan, 0, _a, "--no-local-discovery");

        var status = await LocalDiscoveryStatusAsync(lan, 0, _a);
        Assert.False(status.GetProperty("enabled").GetBoolean());
        Assert.Empty(status.GetProperty("groups").EnumerateArray());
        Assert.Contains("LAN:        local discovery off", (await RunAsync(lan, 0, _a, "status")).StandardOutput, StringComparison.Ordinal);
    }

    private async Task<NamespaceLan?> LanOrReasonAsync()
    {
        var (lan, reason) = await NamespaceLan.TryCreateAsync();
        if (lan is null)
        {
            output.WriteLine($"Not run: {reason}.");
        }

        return lan;
    }

    private static Dictionary<string, string?> Environment(CliWorkspace workspace) =>
        new(workspace.Environment) { ["SMARTSHARE_LOCAL_DISCOVERY"] = "true" };

    private static async Task<BackgroundSmartShare> StartNodeAsync(NamespaceLan lan, int side, CliWorkspace workspace, params string[] extra)
    {
        var node = BackgroundSmartShare.Start(
            [
                "start", "--port", "0", "--bt-port", "0", "--no-bt-dht", "--allow-lan", "--api", "http://127.0.0.1:0",
                "--download-dir", workspace.DownloadDirectory, "--data-dir", workspace.DataDirectory, .. extra,
            ],
            workspace.Root,
            Environment(workspace),
            lan.Launcher(side));
        await node.WaitForLineAsync(@"API on http://127\.0\.0\.1:\d+");
        return node;
    }

    private static Task<CliResult> RunAsync(NamespaceLan lan, int side, CliWorkspace workspace, params string[] arguments) =>
        SmartShareProcess.RunAsync([.. arguments, "--data-dir", workspace.DataDirectory], workspace.Root, Environment(workspace), TransferLimit, launcher: lan.Launcher(side));

    private static async Task<JsonElement> LocalDiscoveryStatusAsync(NamespaceLan lan, int side, CliWorkspace workspace) =>
        (await RunAsync(lan, side, workspace, "status", "--json")).ShouldSucceedWithJson().GetProperty("local_discovery");

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting until {what}.");
            await Task.Delay(250);
        }
    }
}
