using Xunit.Abstractions;

namespace SmartShare.Cli.Tests.Soak;

/// <summary>
/// The soak of issue 18 item 6. The suite runs a short one (about a minute: 20 torrents, 5 streams, two peers coming
/// and going, one restart of the node, a sample every 2 s); <c>scripts/soak</c> runs the hour (200 torrents, 50 streams,
/// a restart every 10 minutes, a sample every 10 s) through the same test with SMARTSHARE_SOAK_* set.
/// </summary>
public sealed class SoakTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_node_holding_many_transfers_through_peer_churn_and_restarts_stays_flat_and_completes_everything()
    {
        if (!OperatingSystem.IsLinux())
        {
            output.WriteLine("The soak samples /proc, so it runs on Linux only.");
            return;
        }

        var options = SoakOptions.FromEnvironment();
        await using var run = new SoakRun(options, output.WriteLine);
        var summary = await run.RunAsync();
        output.WriteLine($"soak: {summary}");
        output.WriteLine(summary.Verdict.Describe());
        Assert.True(summary.Verdict.Flat, $"soak: the node's resources did not stay flat:\n{summary.Verdict.Describe()}");
    }
}
