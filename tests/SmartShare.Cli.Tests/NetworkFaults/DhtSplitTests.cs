using System.Diagnostics;
using SmartShare.Cli.Tests.Support;
using Xunit.Abstractions;

namespace SmartShare.Cli.Tests.NetworkFaults;

/// <summary>
/// Six of our nodes, three on each side of a wire, bootstrapped from one node of each side (the LBRY DHT and the
/// Mainline DHT, nothing public). The wire is cut and a share announced on side 0: a lookup from side 1 finds nobody.
/// Once healed, side 1 finds the share again by its sd hash (LBRY DHT) and downloads its torrent from a magnet link
/// (Mainline DHT) within a time limit.
/// </summary>
public sealed class DhtSplitTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan HealLimit = TimeSpan.FromSeconds(90);
    private readonly List<CliWorkspace> _spaces = [];

    public void Dispose()
    {
        foreach (var space in _spaces)
        {
            space.Dispose();
        }
    }

    [Fact]
    public async Task A_dht_cut_in_two_halves_finds_a_share_of_the_other_half_again_once_healed()
    {
        var (lab, reason) = await FaultLab.TryCreateAsync(3, 3);
        if (lab is null)
        {
            output.WriteLine($"Not run: {reason}.");
            return;
        }

        await using var _ = lab;
        int[] bootstrap = [0, 3];
        var nodes = new List<LabNode>();
        try
        {
            // Started all at once; those that come up before their bootstrap nodes join at the next try.
            var starting = Enumerable.Range(0, lab.HostCount).Select(host =>
            {
                var space = new CliWorkspace();
                _spaces.Add(space);
                return LabNode.StartAsync(lab, host, space, lbryBootstrap: bootstrap, btBootstrap: bootstrap);
            }).ToList();
            foreach (var start in starting)
            {
                nodes.Add(await start);
            }

            var seeder = nodes[0];
            var asker = nodes[5];
            var getter = nodes[4];

            // Everyone has joined before the cut: each table holds nodes of both sides (more than its own side's two).
            foreach (var node in nodes)
            {
                var joinBy = DateTime.UtcNow + TimeSpan.FromSeconds(60);
                (int Lbry, int Mainline) sizes;
                while ((sizes = await DhtSizesAsync(node)) is not { Lbry: >= 4, Mainline: >= 4 })
                {
                    Assert.True(DateTime.UtcNow < joinBy, $"h{node.Host} did not join both DHTs with the other nodes: {sizes}");
                    await Task.Delay(TimeSpan.FromSeconds(1));
                }

                output.WriteLine($"h{node.Host} before the cut: {sizes.Lbry} LBRY DHT contacts, {sizes.Mainline} Mainline DHT contacts");
            }

            await lab.CutAsync();
            var clock = Stopwatch.StartNew();
            var source = seeder.Workspace.CreateRandomFile("notes.pdf", (2 * 1024 * 1024) + 55);
            var shared = (await seeder.RunAsync("share", source, "--torrent", "--json")).ShouldSucceedWithJson();
            var sdHash = shared.GetProperty("sd_hash").GetString()!;
            var magnet = shared.GetProperty("magnet").GetString()!;

            // While cut the share's announcement reached side 0 only: every node of side 1 looks for it (by sd hash in the
            // LBRY DHT, by magnet link in the Mainline DHT) and finds nobody, and in doing so drops the other side's
            // contacts, as a long partition would with its refreshes.
            var lbryLookups = nodes.Skip(3).Select(node => PeersAsync(node, sdHash)).ToList();
            var magnetLookups = nodes.Skip(3).Select(node => node.RunAsync(TimeSpan.FromSeconds(60), "get", magnet, "--timeout", "8", "--download-dir", node.Workspace.DownloadDirectory, "--json")).ToList();
            foreach (var (lookup, index) in lbryLookups.Select((lookup, index) => (lookup, index)))
            {
                var whileCut = await lookup;
                output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s, cut: h{index + 3} finds [{string.Join(", ", whileCut)}] for the sd hash");
                Assert.Empty(whileCut);
            }

            foreach (var (lookup, index) in magnetLookups.Select((lookup, index) => (lookup, index)))
            {
                var result = await lookup;
                output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s, cut: h{index + 3} get magnet: exit {result.ExitCode}, {result.StandardError.Trim().Split('\n')[^1]}");
                Assert.NotEqual(0, result.ExitCode);
            }

            foreach (var node in nodes)
            {
                var (lbry, mainline) = await DhtSizesAsync(node);
                output.WriteLine($"h{node.Host} while cut: {lbry} LBRY DHT contacts, {mainline} Mainline DHT contacts");
            }

            await lab.HealAsync();
            var healedAt = clock.Elapsed;
            output.WriteLine($"{healedAt.TotalSeconds:0.0} s: healed");

            var deadline = DateTime.UtcNow + HealLimit;
            List<string> found;
            while ((found = await PeersAsync(asker, sdHash)).Count == 0)
            {
                Assert.True(DateTime.UtcNow < deadline, $"side 1 never found the share again within {HealLimit.TotalSeconds:0} s of the heal; tables {await DhtSizesAsync(asker)}");
                await Task.Delay(TimeSpan.FromSeconds(3));
            }

            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: h5 finds [{string.Join(", ", found)}], {(clock.Elapsed - healedAt).TotalSeconds:0.0} s after the heal");
            Assert.Contains(seeder.BlobAddress, found);

            // A get by sd hash (peers from the LBRY DHT only) and by magnet link (peers and metadata through the Mainline DHT).
            var expected = CliWorkspace.Sha256Of(source);
            var stream = (await getter.RunAsync(HealLimit, "get", sdHash, "--download-dir", Path.Combine(getter.Workspace.Root, "stream"), "--json")).ShouldSucceedWithJson();
            Assert.Equal(expected, CliWorkspace.Sha256Of(stream.GetProperty("path").GetString()!));
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: h4 got the stream by sd hash");
            var torrent = (await getter.RunAsync(HealLimit, "get", magnet, "--download-dir", Path.Combine(getter.Workspace.Root, "torrent"), "--json")).ShouldSucceedWithJson();
            Assert.Equal(expected, CliWorkspace.Sha256Of(torrent.GetProperty("path").GetString()!));
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: h4 got the torrent by magnet link, {(clock.Elapsed - healedAt).TotalSeconds:0.0} s after the heal");
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    private static async Task<List<string>> PeersAsync(LabNode node, string sdHash)
    {
        var answer = (await node.RunAsync("peers", sdHash, "--json")).ShouldSucceedWithJson();
        return [.. answer.GetProperty("peers").EnumerateArray().Select(peer => $"{peer.GetProperty("host").GetString()}:{peer.GetProperty("port").GetInt32()}")];
    }

    // How many contacts each DHT's routing table holds, from status --json (-1 when not shown).
    private static async Task<(int Lbry, int Mainline)> DhtSizesAsync(LabNode node)
    {
        var status = (await node.RunAsync("status", "--json")).ShouldSucceedWithJson();
        var networks = status.GetProperty("networks");
        var lbry = networks.TryGetProperty("lbry", out var l) && l.TryGetProperty("contacts", out var c) ? c.GetInt32() : -1;
        var mainline = networks.TryGetProperty("bittorrent", out var b) && b.TryGetProperty("dht", out var dht) && dht.TryGetProperty("contacts", out var n)
            ? n.GetInt32()
            : -1;
        return (lbry, mainline);
    }
}
