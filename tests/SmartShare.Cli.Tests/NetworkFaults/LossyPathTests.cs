using System.Diagnostics;
using SmartShare.Cli.Tests.Support;
using Xunit.Abstractions;

namespace SmartShare.Cli.Tests.NetworkFaults;

/// <summary>
/// A path with a 200 ms round trip that loses about 10 % of its packets (100 ms and 5 % each way) still carries an
/// LBRY stream and a torrent whole; the time each took is printed.
/// </summary>
public sealed class LossyPathTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan TransferLimit = TimeSpan.FromSeconds(150);

    private readonly CliWorkspace _seederSpace = new();
    private readonly CliWorkspace _getterSpace = new();

    public void Dispose()
    {
        _seederSpace.Dispose();
        _getterSpace.Dispose();
    }

    [Fact]
    public async Task A_stream_and_a_torrent_complete_over_200_ms_and_10_percent_loss()
    {
        var (lab, reason) = await FaultLab.TryCreateAsync(1, 1);
        if (lab is null)
        {
            output.WriteLine($"Not run: {reason}.");
            return;
        }

        await using var _ = lab;
        var source = _seederSpace.CreateRandomFile("talk.mp4", (3 * 1024 * 1024) + 1234);
        await using var seeder = await LabNode.StartAsync(lab, 0, _seederSpace);
        var shareFile = Path.Combine(_seederSpace.Root, "talk.smartshare");
        var shared = (await seeder.RunAsync("share", source, "--torrent", "--out", shareFile, "--advertise", seeder.BlobAddress, "--json")).ShouldSucceedWithJson();
        var torrent = shared.GetProperty("torrent").GetString()!;
        await using var getter = await LabNode.StartAsync(lab, 1, _getterSpace);
        await lab.ImpairAsync(delayMilliseconds: 100, lossPercent: 5);
        var expected = CliWorkspace.Sha256Of(source);

        var clock = Stopwatch.StartNew();
        var stream = (await getter.RunAsync(TransferLimit, "get", shareFile, "--download-dir", Path.Combine(_getterSpace.Root, "stream"), "--json")).ShouldSucceedWithJson();
        var streamTime = clock.Elapsed;
        Assert.Equal(expected, CliWorkspace.Sha256Of(stream.GetProperty("path").GetString()!));
        output.WriteLine($"LBRY stream of {new FileInfo(source).Length} bytes over 200 ms RTT and ~10 % loss: {streamTime.TotalSeconds:0.0} s");

        clock.Restart();
        var piece = (await getter.RunAsync(TransferLimit, "get", torrent, "--peer", seeder.BtAddress, "--download-dir", Path.Combine(_getterSpace.Root, "torrent"), "--json"))
            .ShouldSucceedWithJson();
        var torrentTime = clock.Elapsed;
        Assert.Equal(expected, CliWorkspace.Sha256Of(piece.GetProperty("path").GetString()!));
        output.WriteLine($"torrent of {new FileInfo(source).Length} bytes over 200 ms RTT and ~10 % loss: {torrentTime.TotalSeconds:0.0} s");

        // The wire really was lossy: it dropped frames on the way.
        var stats = await lab.WireStatsAsync();
        output.WriteLine(stats);
        Assert.DoesNotContain("dropped=0 ", stats, StringComparison.Ordinal);
    }
}
