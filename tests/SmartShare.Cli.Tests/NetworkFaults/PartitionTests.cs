using System.Diagnostics;
using SmartShare.Cli.Tests.Support;
using Xunit.Abstractions;

namespace SmartShare.Cli.Tests.NetworkFaults;

/// <summary>
/// A downloader cut off from its only seeder mid-transfer, by a partition in which every frame is dropped (TCP hangs:
/// no reset, no ICMP), long enough for the node's timeouts to fire; while cut its transfers must stay listed as
/// downloading with no verified byte lost; once healed they complete by themselves and match the source.
/// The 55 s cut outlasts LBRY's 30 s blob timeout and the five failures that drop a peer (the old code never asked the
/// dropped seeder again); SMARTSHARE_NETFAULT_LONG=1 cuts for 150 s instead, past BitTorrent's 120 s read timeout.
/// </summary>
public sealed class PartitionTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan ResumeLimit = TimeSpan.FromSeconds(120);

    private readonly CliWorkspace _seederSpace = new();
    private readonly CliWorkspace _getterSpace = new();

    public void Dispose()
    {
        _seederSpace.Dispose();
        _getterSpace.Dispose();
    }

    [Fact]
    public async Task A_stream_and_a_torrent_cut_from_their_only_seeder_resume_when_the_partition_heals()
    {
        var (lab, reason) = await FaultLab.TryCreateAsync(1, 1);
        if (lab is null)
        {
            output.WriteLine($"Not run: {reason}.");
            return;
        }

        await using var _ = lab;
        var cut = Environment.GetEnvironmentVariable("SMARTSHARE_NETFAULT_LONG") == "1" ? TimeSpan.FromSeconds(150) : TimeSpan.FromSeconds(55);

        // The seeder sends at most 512 KiB/s until the heal, so both transfers are under way when the cut comes.
        var source = _seederSpace.CreateRandomFile("lecture.mkv", (8 * 1024 * 1024) + 4321);
        await using var seeder = await LabNode.StartAsync(lab, 0, _seederSpace, settings: new Dictionary<string, string> { ["SMARTSHARE_MAX_UPLOAD_RATE"] = "512" });
        var shareFile = Path.Combine(_seederSpace.Root, "lecture.smartshare");
        var shared = (await seeder.RunAsync("share", source, "--torrent", "--out", shareFile, "--advertise", seeder.BlobAddress, "--json")).ShouldSucceedWithJson();
        var sdHash = shared.GetProperty("sd_hash").GetString()!;
        var infoHash = shared.GetProperty("info_hash").GetString()!;
        var torrent = shared.GetProperty("torrent").GetString()!;
        await using var getter = await LabNode.StartAsync(lab, 1, _getterSpace);

        // The torrent's only source is the seeder given with --peer (no tracker, no DHT); the stream's is the seeder
        // named in the .smartshare file (the LBRY DHT is bootstrapped nowhere). The torrent starts first: a stream's
        // 2 MiB blobs would otherwise take the seeder's whole upload.
        var clock = Stopwatch.StartNew();
        var limit = cut + ResumeLimit + TimeSpan.FromSeconds(120);
        var torrentGet = getter.RunAsync(limit, "get", torrent, "--peer", seeder.BtAddress, "--download-dir", Path.Combine(_getterSpace.Root, "torrent"), "--json");
        await WaitForAsync(async () => LabNode.BytesHave((await getter.TransfersAsync(infoHash))[0]) > 0, "the torrent verified its first piece", TimeSpan.FromSeconds(90));
        var streamGet = getter.RunAsync(limit, "get", shareFile, "--download-dir", Path.Combine(_getterSpace.Root, "stream"), "--json");
        await WaitForAsync(async () => LabNode.BytesHave((await getter.TransfersAsync(sdHash))[0]) > 0, "the stream verified its first blob", TimeSpan.FromSeconds(90));

        await lab.CutAsync();
        var cutAt = clock.Elapsed;
        var before = await getter.TransfersAsync(sdHash, infoHash);
        output.WriteLine($"{cutAt.TotalSeconds:0.0} s: cut for {cut.TotalSeconds:0} s (every frame dropped). Stream: {LabNode.Describe(before[0])}; torrent: {LabNode.Describe(before[1])}");
        Assert.All(before, transfer => Assert.Equal("downloading", LabNode.State(transfer)));
        var have = before.Select(LabNode.BytesHave).ToArray();
        while (clock.Elapsed - cutAt < cut)
        {
            await Task.Delay(TimeSpan.FromSeconds(8));
            var now = await getter.TransfersAsync(sdHash, infoHash);
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s, cut: stream {LabNode.Describe(now[0])}; torrent {LabNode.Describe(now[1])}");

            // A stalled transfer is neither failed nor complete, and what it verified stays verified.
            for (var i = 0; i < 2; i++)
            {
                Assert.Equal("downloading", LabNode.State(now[i]));
                Assert.True(LabNode.BytesHave(now[i]) >= have[i], $"{(i == 0 ? "the stream" : "the torrent")} lost verified bytes while cut");
                have[i] = LabNode.BytesHave(now[i]);
            }
        }

        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: {await lab.WireStatsAsync()}");
        await lab.HealAsync();
        var healedAt = clock.Elapsed;

        // No more pacing: what is measured from here is how soon each transfer finds its seeder again.
        (await seeder.RunAsync("limits", "--up", "0", "--json")).ShouldSucceedWithJson();
        output.WriteLine($"{healedAt.TotalSeconds:0.0} s: healed, seeder's upload limit lifted");

        var streamDone = await streamGet;
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: stream complete, {(clock.Elapsed - healedAt).TotalSeconds:0.0} s after the heal");
        var torrentDone = await torrentGet;
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: torrent complete, {(clock.Elapsed - healedAt).TotalSeconds:0.0} s after the heal");
        var expected = CliWorkspace.Sha256Of(source);
        Assert.Equal(expected, CliWorkspace.Sha256Of(streamDone.ShouldSucceedWithJson().GetProperty("path").GetString()!));
        Assert.Equal(expected, CliWorkspace.Sha256Of(torrentDone.ShouldSucceedWithJson().GetProperty("path").GetString()!));
        Assert.True(clock.Elapsed - healedAt < ResumeLimit, $"the transfers took {(clock.Elapsed - healedAt).TotalSeconds:0} s after the heal");
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting until {what}.");
            await Task.Delay(250);
        }
    }
}
