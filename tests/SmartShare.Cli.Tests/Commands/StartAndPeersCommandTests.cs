using System.Text.Json;
using SmartShare.Cli.Tests.Support;

namespace SmartShare.Cli.Tests.Commands;

/// <summary>
/// Real node processes on 127.0.0.1: a bare bootstrap node, a seeder that joins through it and announces
/// its shared stream, and <c>peers</c> from a third data directory finding the seeder through the bootstrap.
/// </summary>
public sealed class StartAndPeersCommandTests : IDisposable
{
    private readonly CliWorkspace _bootstrap = new();
    private readonly CliWorkspace _seeder = new();
    private readonly CliWorkspace _asker = new();

    [Fact]
    public async Task Peers_finds_a_seeder_through_a_bootstrap_node_and_nodes_stop_cleanly_saving_contacts()
    {
        var sdHash = await _seeder.ShareForSdHashAsync(_seeder.CreateRandomFile("clip.bin", 3_000_000));
        await using var bootstrap = Start(_bootstrap, "start", "--port", "0", "--bind", "127.0.0.1", "--allow-lan", "--json");
        var bootstrapPort = (await bootstrap.WaitForLineAsync(@"listening on UDP 127\.0\.0\.1:(\d+)")).Groups[1].Value;
        await using var seeder = Start(_seeder, "start", "--port", "0", "--bind", "127.0.0.1", "--allow-lan", "--bootstrap", $"127.0.0.1:{bootstrapPort}", "--json");
        var seederStarted = await seeder.WaitForLineAsync(@"API on (http://[^,]+), LBRY DHT listening on UDP 127\.0\.0\.1:(\d+)");
        var seederApi = seederStarted.Groups[1].Value;
        var seederPort = seederStarted.Groups[2].Value;
        await seeder.WaitForLineAsync($"Announced {sdHash} .* to [1-9]");

        var peers = await _asker.RunAsync("peers", sdHash, "--bootstrap", $"127.0.0.1:{bootstrapPort}", "--allow-lan", "--json");

        var found = peers.ShouldSucceedWithJson().GetProperty("peers").EnumerateArray().ToList();
        var peer = Assert.Single(found);
        Assert.Equal("127.0.0.1", peer.GetProperty("host").GetString());
        Assert.Equal(int.Parse(seederPort, System.Globalization.CultureInfo.InvariantCulture), peer.GetProperty("port").GetInt32());

        // With a node running, peers asks it (its peer_list) instead of starting a DHT node of its own.
        // (Run with the seeder's data directory: --api at a node of another directory is refused.)
        var throughNode = await _seeder.RunAsync("peers", sdHash, "--api", seederApi, "--json");
        var viaNode = Assert.Single(throughNode.ShouldSucceedWithJson().GetProperty("peers").EnumerateArray().ToList());
        Assert.Equal(peer.GetProperty("port").GetInt32(), viaNode.GetProperty("port").GetInt32());

        var stopped = await seeder.StopAsync("TERM");
        Assert.Equal(0, stopped.ExitCode);
        var summary = stopped.LastLineAsJson();
        Assert.True(summary.GetProperty("stopped").GetBoolean());
        Assert.True(summary.GetProperty("contacts").GetInt32() >= 1);
        Assert.Equal(1, summary.GetProperty("announced").GetInt32());
        Assert.Equal(0, (await bootstrap.StopAsync("INT")).ExitCode);
    }

    [Fact]
    public async Task Peers_with_no_reachable_node_fails_with_a_sentence()
    {
        var result = await _asker.RunAsync("peers", new string('a', 96), "--json");

        var message = result.ShouldFailWith(1, "io");
        Assert.Contains("--bootstrap", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("nohost")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:70000")]
    public async Task A_bootstrap_that_is_not_host_colon_port_is_bad_input(string bootstrap)
    {
        var result = await _asker.RunAsync("peers", new string('a', 96), "--bootstrap", bootstrap, "--json");

        result.ShouldFailWith(2, "bad_input");
    }

    public void Dispose()
    {
        _bootstrap.Dispose();
        _seeder.Dispose();
        _asker.Dispose();
    }

    /// <summary>Each node's API takes a free port, so several nodes (and a developer's own) can run side by side.</summary>
    private static BackgroundSmartShare Start(CliWorkspace workspace, params string[] arguments) =>
        BackgroundSmartShare.Start([.. arguments, "--api", "http://127.0.0.1:0", "--data-dir", workspace.DataDirectory], workspace.Root, workspace.Environment);
}
