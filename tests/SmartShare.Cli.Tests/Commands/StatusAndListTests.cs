using SmartShare.Cli.Tests.Support;

namespace SmartShare.Cli.Tests.Commands;

/// <summary><c>status</c> and <c>list</c> as people read them: everything on stdout, a table with a header.</summary>
public sealed class StatusAndListTests : IDisposable
{
    private readonly CliWorkspace _workspace = new();

    [Fact]
    public async Task Status_prints_version_networks_transfers_and_rates_on_stdout_and_list_is_a_table_with_one_row_per_transfer()
    {
        await using var node = BackgroundSmartShare.Start(
            ["start", "--port", "0", "--bind", "127.0.0.1", "--api", "http://127.0.0.1:0", "--allow-lan", "--json", "--data-dir", _workspace.DataDirectory],
            _workspace.Root,
            _workspace.Environment);
        var api = (await node.WaitForLineAsync(@"API on (http://127\.0\.0\.1:\d+)")).Groups[1].Value;
        var source = _workspace.CreateRandomFile("both.bin", 300_000);
        var shared = (await _workspace.RunAsync("share", source, "--torrent", "--api", api, "--json")).ShouldSucceedWithJson();
        var version = Assert.Single((await _workspace.RunWithoutDataDirAsync(["--version"])).OutputLines);

        var status = await _workspace.RunAsync("status", "--api", api);

        status.ShouldExitWith(0);
        Assert.Empty(status.ErrorLines);
        var lines = status.OutputLines;
        Assert.StartsWith($"SmartShare {version}, running at {api}, up ", lines[0], StringComparison.Ordinal);
        Assert.Contains(lines, line => line.StartsWith("LBRY:", StringComparison.Ordinal) && line.Contains("DHT on UDP", StringComparison.Ordinal) && line.Contains("blob exchange on TCP", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("BitTorrent: peers on TCP", StringComparison.Ordinal) && line.Contains("Mainline DHT", StringComparison.Ordinal));
        Assert.Contains("Transfers:  2 (2 seeding)", lines);
        Assert.Contains(lines, line => line.StartsWith("Rates:      down ", StringComparison.Ordinal));

        var json = (await _workspace.RunAsync("status", "--api", api, "--json")).ShouldSucceedWithJson();
        Assert.Equal(version, json.GetProperty("version").GetString());
        Assert.Equal(2, json.GetProperty("transfers").GetProperty("total").GetInt32());
        Assert.Equal(2, json.GetProperty("transfers").GetProperty("by_state").GetProperty("seeding").GetInt32());
        Assert.True(json.GetProperty("transfers").TryGetProperty("upload_rate", out _));
        Assert.True(json.GetProperty("networks").GetProperty("bittorrent").GetProperty("dht").TryGetProperty("joined", out _));

        var list = await _workspace.RunAsync("list", "--api", api);

        list.ShouldExitWith(0);
        var table = list.OutputLines;
        Assert.Equal(4, table.Count);
        Assert.Equal(
            ["KEY", "TYPE", "STATE", "PROGRESS", "SIZE", "DOWN", "UP", "PEERS", "UPLOADED", "RATIO", "ETA", "NAME"],
            table[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));

        // One file shared on both networks is two transfers, one per network, told apart by TYPE.
        var stream = Cells(table, shared.GetProperty("sd_hash").GetString()!);
        var torrent = Cells(table, shared.GetProperty("info_hash").GetString()!);
        Assert.Equal(["stream", "seeding", "100.0%", "293", "KiB"], stream[1..6]);
        Assert.Equal(["torrent", "seeding", "100.0%", "293", "KiB"], torrent[1..6]);
        Assert.Equal("both.bin", stream[^1]);
        Assert.Equal("both.bin", torrent[^1]);
        Assert.Equal("2 transfers.", table[^1]);

        var items = (await _workspace.RunAsync("list", "--api", api, "--json")).ShouldSucceedWithJson().GetProperty("items");
        Assert.Equal(2, items.GetArrayLength());
    }

    public void Dispose() => _workspace.Dispose();

    private static string[] Cells(IReadOnlyList<string> table, string key)
    {
        var row = Assert.Single(table, line => line.StartsWith(key[..12], StringComparison.Ordinal));
        return row.Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }
}
