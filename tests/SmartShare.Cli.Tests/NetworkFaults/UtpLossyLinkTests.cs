using System.Diagnostics;
using SmartShare.Cli.Tests.Support;
using SmartShare.Tests.Shared;
using Xunit.Abstractions;

namespace SmartShare.Cli.Tests.NetworkFaults;

/// <summary>
/// Our node, speaking uTP only (bt_transport utp), and libtorrent 2.0 with TCP off, on the two sides of a wire that
/// delays every frame 50 ms each way (plus up to 3 ms of jitter, which reorders frames) and drops 1 % of them: a
/// torrent downloaded by our node from a libtorrent seeder and, at the same time, another seeded by our node to a
/// libtorrent downloader, both compared byte for byte. The time each took is printed.
/// 64 MiB each way, as issue 20 asks: about 10 minutes, since LEDBAT over this link is slow for libtorrent too (its
/// own uTP, seeder to downloader, does about 0.09 MiB/s here; bench/utp-lossy-link.sh). Here 64 MiB took 624-741 s
/// down (libtorrent's seeder) and 298 s up (ours) at once on a loaded machine; the limit leaves room.
/// </summary>
public sealed class UtpLossyLinkTests(ITestOutputHelper output) : IDisposable
{
    internal const int DelayMilliseconds = 50;
    internal const double LossPercent = 1;
    internal const int JitterMilliseconds = 3;
    private const int Size = 64 << 20;
    private static readonly TimeSpan TransferLimit = TimeSpan.FromMinutes(20);

    private readonly CliWorkspace _ours = new();
    private readonly CliWorkspace _theirs = new();

    public void Dispose()
    {
        _ours.Dispose();
        _theirs.Dispose();
    }

    /// <summary>A lab of one host a side, or null (with the reason written) when libtorrent or namespaces are missing.</summary>
    internal static async Task<FaultLab?> TryLabAsync(ITestOutputHelper output)
    {
        if (!LabLibtorrent.Available)
        {
            output.WriteLine("Not run: /usr/bin/python3 with lt_peer.py is needed (python3-libtorrent).");
            return null;
        }

        var (lab, reason) = await FaultLab.TryCreateAsync(1, 1, "ul");
        if (lab is null)
        {
            output.WriteLine($"Not run: {reason}.");
        }

        return lab;
    }

    [Fact]
    public async Task Torrents_cross_a_lossy_reordering_link_over_utp_both_ways_with_libtorrent()
    {
        if (await UtpLossyLinkTests.TryLabAsync(output) is not { } lab)
        {
            return;
        }

        await using var _ = lab;
        await using var ours = await LabNode.StartAsync(lab, 0, _ours, settings: UtpOnly);

        // What our node seeds: shared through the CLI, which writes the .torrent.
        var up = _ours.CreateRandomFile("up.bin", Size);
        var shared = (await ours.RunAsync(TimeSpan.FromSeconds(120), "share", up, "--torrent", "--out", Path.Combine(_ours.Root, "up.smartshare"), "--json"))
            .ShouldSucceedWithJson();
        var upTorrent = shared.GetProperty("torrent").GetString()!;

        // What libtorrent seeds: a torrent made by mktorrent (256 KiB pieces).
        var seedFolder = Directory.CreateDirectory(Path.Combine(_theirs.Root, "seed")).FullName;
        var down = _theirs.CreateRandomFile(Path.Combine("seed", "down.bin"), Size);
        var downTorrent = Path.Combine(_theirs.Root, "down.torrent");
        var made = await LabCommand.RunAsync(["mktorrent", "-l", "18", "-o", downTorrent, down], TimeSpan.FromSeconds(120));
        Assert.True(made.Succeeded, made.ToString());

        await using var seeder = await LabLibtorrent.StartAsync(lab, 1, 6881, seed: true, downTorrent, seedFolder, "utp");
        var leechFolder = Directory.CreateDirectory(Path.Combine(_theirs.Root, "leech")).FullName;
        await lab.ImpairAsync(DelayMilliseconds, LossPercent, JitterMilliseconds);

        var clock = Stopwatch.StartNew();
        await using var leecher = await LabLibtorrent.StartAsync(lab, 1, 6882, seed: false, upTorrent, leechFolder, "utp", [ours.BtAddress]);
        var get = Timed(ours.RunAsync(TransferLimit, "get", downTorrent, "--peer", seeder.Endpoint, "--download-dir", Path.Combine(_ours.Root, "got"), "--json"), clock);
        var seed = Timed(leecher.WaitForFinishedAsync(TransferLimit), clock);
        try
        {
            await Task.WhenAll(get, seed);
        }
        catch
        {
            output.WriteLine(await lab.WireStatsAsync());
            output.WriteLine(leecher.Describe());
            output.WriteLine(seeder.Describe());
            output.WriteLine(ours.Describe());
            throw;
        }

        var (got, getTime) = await get;
        var path = got.ShouldSucceedWithJson().GetProperty("path").GetString()!;
        Assert.Equal(CliWorkspace.Sha256Of(down), CliWorkspace.Sha256Of(path));
        Assert.Equal(CliWorkspace.Sha256Of(up), CliWorkspace.Sha256Of(Path.Combine(leechFolder, Path.GetFileName(up))));
        var (_, seedTime) = await seed;
        var link = $"{DelayMilliseconds} ms each way, {LossPercent} % loss, {JitterMilliseconds} ms jitter, uTP only";
        output.WriteLine($"{Size >> 20} MiB downloaded by our node from libtorrent ({link}): {getTime.TotalSeconds:0.0} s, {Size / getTime.TotalSeconds / 1e6:0.00} MB/s");
        output.WriteLine($"{Size >> 20} MiB seeded by our node to libtorrent at the same time: {seedTime.TotalSeconds:0.0} s, {Size / seedTime.TotalSeconds / 1e6:0.00} MB/s");

        // The wire really was lossy, and our node's uTP sent packets again (its status counts them).
        var stats = await lab.WireStatsAsync();
        output.WriteLine(stats);
        Assert.DoesNotContain("dropped=0 ", stats, StringComparison.Ordinal);
        var status = (await ours.RunAsync(TimeSpan.FromSeconds(60), "status", "--json")).ShouldSucceedWithJson();
        var utp = status.GetProperty("networks").GetProperty("bittorrent").GetProperty("utp");
        output.WriteLine($"our uTP: {utp}");
        Assert.True(utp.GetProperty("packets_resent").GetInt64() > 0, utp.ToString());
    }

    /// <summary>Settings of a node that dials and accepts uTP only.</summary>
    internal static IReadOnlyDictionary<string, string> UtpOnly => new Dictionary<string, string> { ["SMARTSHARE_BT_TRANSPORT"] = "utp" };

    private static async Task<(T Result, TimeSpan Time)> Timed<T>(Task<T> task, Stopwatch clock)
    {
        var result = await task;
        return (result, clock.Elapsed);
    }
}
