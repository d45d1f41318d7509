using System.Globalization;
using System.Text.Json;
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
        Assert.Contains(lines, line => line.StartsWith("BitTorrent: peers on TCP", StringComparison.Ordinal) && line.Contains("and uTP (UDP", StringComparison.Ordinal) && line.Contains("Mainline DHT", StringComparison.Ordinal));
        Assert.Contains("IPv6:       off (the bind setting names one IPv4 address)", lines);
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

    [Fact]
    public async Task Upload_totals_of_a_stream_and_a_torrent_survive_a_restart_of_the_node()
    {
        using var getter = new CliWorkspace();
        var source = _workspace.CreateRandomFile("given.bin", (3 * 1024 * 1024) + 17);
        var shared = (await _workspace.RunAsync("share", source, "--torrent", "--json")).ShouldSucceedWithJson();
        var sdHash = shared.GetProperty("sd_hash").GetString()!;
        var infoHash = shared.GetProperty("info_hash").GetString()!;
        var torrentPath = shared.GetProperty("torrent").GetString()!;

        long streamUploaded, torrentUploaded;
        await using (var node = StartNode())
        {
            var lbryPort = (await node.WaitForLineAsync(@"LBRY DHT listening on UDP 127\.0\.0\.1:(\d+)")).Groups[1].Value;
            var btPort = (await node.WaitForLineAsync(@"BitTorrent peers on TCP 127\.0\.0\.1:(\d+)")).Groups[1].Value;
            var api = (await node.WaitForLineAsync(@"API on (http://127\.0\.0\.1:\d+)")).Groups[1].Value;

            (await getter.RunAsync("get", sdHash, "--peer", $"127.0.0.1:{lbryPort}", "--download-dir", Path.Combine(getter.Root, "lbry"), "--json")).ShouldSucceedWithJson();
            (await getter.RunAsync("get", torrentPath, "--peer", $"127.0.0.1:{btPort}", "--download-dir", Path.Combine(getter.Root, "bt"), "--json")).ShouldSucceedWithJson();

            var before = await ListAsync(api);
            streamUploaded = Uploaded(before, sdHash);
            torrentUploaded = Uploaded(before, infoHash);
            Assert.True(streamUploaded >= 3 * 1024 * 1024, $"The stream uploaded {streamUploaded} bytes.");
            Assert.True(torrentUploaded >= 3 * 1024 * 1024, $"The torrent uploaded {torrentUploaded} bytes.");
            Assert.Equal(Math.Round((double)torrentUploaded / ((3 * 1024 * 1024) + 17), 3), Item(before, infoHash).GetProperty("progress").GetProperty("ratio").GetDouble());

            (await _workspace.RunAsync("stop", "--api", api, "--json")).ShouldSucceedWithJson();
            (await node.WaitForExitAsync()).ShouldExitWith(0);
        }

        // With no node running, a one-off node reads the totals back from the transfers table.
        var after = (await _workspace.RunAsync("list", "--json")).ShouldSucceedWithJson();
        Assert.Equal(streamUploaded, Uploaded(after, sdHash));
        Assert.Equal(torrentUploaded, Uploaded(after, infoHash));

        var table = (await _workspace.RunAsync("list")).OutputLines;
        var row = Assert.Single(table, line => line.StartsWith(infoHash[..12], StringComparison.Ordinal));
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $" {(double)torrentUploaded / ((3 * 1024 * 1024) + 17):0.00} "), row, StringComparison.Ordinal);
    }

    public void Dispose() => _workspace.Dispose();

    private BackgroundSmartShare StartNode() =>
        BackgroundSmartShare.Start(
            ["start", "--port", "0", "--bt-port", "0", "--bind", "127.0.0.1", "--allow-lan", "--no-bt-dht", "--api", "http://127.0.0.1:0", "--data-dir", _workspace.DataDirectory],
            _workspace.Root,
            _workspace.Environment);

    private async Task<JsonElement> ListAsync(string api) =>
        (await _workspace.RunAsync("list", "--api", api, "--json")).ShouldSucceedWithJson();

    private static JsonElement Item(JsonElement list, string key) =>
        list.GetProperty("items").EnumerateArray().Single(item => item.GetProperty("key").GetString() == key);

    private static long Uploaded(JsonElement list, string key) => Item(list, key).GetProperty("progress").GetProperty("uploaded").GetInt64();

    private static string[] Cells(IReadOnlyList<string> table, string key)
    {
        var row = Assert.Single(table, line => line.StartsWith(key[..12], StringComparison.Ordinal));
        return row.Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }
}
