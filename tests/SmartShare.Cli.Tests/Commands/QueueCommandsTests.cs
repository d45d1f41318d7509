using SmartShare.Cli.Tests.Support;

namespace SmartShare.Cli.Tests.Commands;

/// <summary>The real <c>smartshare</c> binary's <c>queue</c> and <c>goals</c> against a running node.</summary>
public sealed class QueueCommandsTests : IDisposable
{
    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Queue_moves_a_transfer_and_goals_set_a_torrents_own_and_the_nodes()
    {
        await using var node = BackgroundSmartShare.Start(
            [
                "start", "--port", "0", "--bt-port", "0", "--bind", "127.0.0.1", "--allow-lan", "--api", "http://127.0.0.1:0",
                "--download-dir", _workspace.DownloadDirectory, "--data-dir", _workspace.DataDirectory,
            ],
            _workspace.Root,
            _workspace.Environment);
        var api = (await node.WaitForLineAsync(@"API on (http://127\.0\.0\.1:\d+)")).Groups[1].Value;
        var hashes = new List<string>();
        foreach (var name in (string[])["first", "second"])
        {
            var folder = Path.Combine(_workspace.Root, name);
            Directory.CreateDirectory(folder);
            File.Move(_workspace.CreateRandomFile(name + ".bin", 40_000), Path.Combine(folder, name + ".bin"));
            hashes.Add((await _workspace.RunAsync("share", folder, "--torrent", "--api", api, "--json")).ShouldSucceedWithJson().GetProperty("info_hash").GetString()!);
        }

        var moved = (await _workspace.RunAsync("queue", "first", "--bottom", "--api", api, "--json")).ShouldSucceedWithJson();
        var human = await _workspace.RunAsync("queue", hashes[0][..8], "--position", "0", "--api", api);
        var twoPlaces = await _workspace.RunAsync("queue", "first", "--top", "--up", "--api", api, "--json");
        var own = (await _workspace.RunAsync("goals", "second", "--ratio", "2", "--idle", "30", "--api", api, "--json")).ShouldSucceedWithJson();
        var cleared = (await _workspace.RunAsync("goals", "second", "--ratio", "default", "--api", api, "--json")).ShouldSucceedWithJson();
        var global = (await _workspace.RunAsync("goals", "--ratio", "1.5", "--action", "remove", "--api", api, "--json")).ShouldSucceedWithJson();
        var wrong = await _workspace.RunAsync("goals", "--ratio", "lots", "--api", api, "--json");

        Assert.Equal(1, moved.GetProperty("queue_position").GetInt32());
        human.ShouldExitWith(0);
        Assert.Contains("queue position 0", human.StandardOutput, StringComparison.Ordinal);
        twoPlaces.ShouldFailWith(2, "bad_input");
        Assert.Equal(2.0, own.GetProperty("seeding_goals").GetProperty("ratio").GetDouble());
        Assert.Equal(30, own.GetProperty("seeding_goals").GetProperty("idle_time").GetInt32());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, cleared.GetProperty("seeding_goals").GetProperty("ratio").ValueKind);
        Assert.Equal(30, cleared.GetProperty("seeding_goals").GetProperty("idle_time").GetInt32());
        Assert.Equal(1.5, global.GetProperty("seed_ratio_limit").GetDouble());
        Assert.Equal("remove", global.GetProperty("seed_goal_action").GetString());
        wrong.ShouldFailWith(2, "bad_input");
        Assert.Equal(2, hashes.Distinct().Count());
    }
}
