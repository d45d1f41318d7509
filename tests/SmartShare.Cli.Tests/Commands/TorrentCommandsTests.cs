using System.Globalization;
using System.Text.Json;
using SmartShare.Cli.Tests.Support;

namespace SmartShare.Cli.Tests.Commands;

/// <summary>
/// The real <c>smartshare</c> binary with torrents: <c>share --torrent</c> with no node running lists the torrent,
/// <c>start</c> seeds it, and <c>get FILE.torrent</c> in another workspace (a node in its own process) fetches it.
/// </summary>
public sealed class TorrentCommandsTests : IDisposable
{
    private readonly CliWorkspace _seeder = new();
    private readonly CliWorkspace _getter = new();

    public void Dispose()
    {
        _seeder.Dispose();
        _getter.Dispose();
    }

    [Fact]
    public async Task Share_with_torrent_then_start_seeds_and_get_of_the_torrent_file_fetches_identical_bytes()
    {
        var source = _seeder.CreateRandomFile("concert.mkv", (5 * 1024 * 1024) + 4321);
        var shareOut = Path.Combine(_seeder.Root, "concert.smartshare");
        var shared = (await _seeder.RunAsync("share", source, "--torrent", "--out", shareOut, "--json")).ShouldSucceedWithJson();
        var torrentPath = shared.GetProperty("torrent").GetString()!;
        var infoHash = shared.GetProperty("info_hash").GetString()!;
        Assert.Equal(Path.Combine(_seeder.Root, "concert.mkv.torrent"), torrentPath);
        Assert.True(File.Exists(torrentPath));
        Assert.StartsWith($"magnet:?xt=urn:btih:{infoHash}", shared.GetProperty("magnet").GetString(), StringComparison.Ordinal);
        Assert.True(File.Exists(shareOut));
        var listed = (await _seeder.RunAsync("list", "--json")).ShouldSucceedWithJson().GetProperty("items").EnumerateArray()
            .Single(item => item.TryGetProperty("info_hash", out var hash) && hash.GetString() == infoHash);
        Assert.Equal("completed", listed.GetProperty("status").GetString());
        Assert.Equal("share", listed.GetProperty("kind").GetString());

        await using var seeder = StartSeeder();
        var btPort = await BtPortAsync(seeder);

        var got = (await _getter.RunAsync("get", torrentPath, "--peer", $"127.0.0.1:{btPort}", "--download-dir", _getter.DownloadDirectory, "--json"))
            .ShouldSucceedWithJson();
        var path = got.GetProperty("path").GetString()!;
        Assert.Equal(Path.Combine(_getter.DownloadDirectory, "concert.mkv"), path);
        Assert.Equal(infoHash, got.GetProperty("info_hash").GetString());
        Assert.Equal(CliWorkspace.Sha256Of(source), CliWorkspace.Sha256Of(path));
    }

    [Fact]
    public async Task Share_through_the_node_prints_a_magnet_naming_the_creator_and_get_of_that_magnet_fetches_identical_bytes()
    {
        await using var seeder = StartSeeder();
        var btPort = await BtPortAsync(seeder);
        var api = (await seeder.WaitForLineAsync(@"API on (http://127\.0\.0\.1:\d+)")).Groups[1].Value;
        var source = _seeder.CreateRandomFile("talk.opus", (1024 * 1024) + 99);

        var shared = (await _seeder.RunAsync("share", source, "--torrent", "--api", api, "--advertise", "127.0.0.1", "--json")).ShouldSucceedWithJson();
        var magnet = shared.GetProperty("magnet").GetString()!;
        Assert.True(magnet.Contains($"x.pe=127.0.0.1:{btPort}", StringComparison.Ordinal), magnet);
        Assert.True(magnet.Contains($"dht=127.0.0.1:{btPort}", StringComparison.Ordinal), magnet);

        var got = (await _getter.RunAsync("get", magnet, "--download-dir", _getter.DownloadDirectory, "--json")).ShouldSucceedWithJson();
        var path = got.GetProperty("path").GetString()!;
        Assert.Equal(Path.Combine(_getter.DownloadDirectory, "talk.opus"), path);
        Assert.Equal(CliWorkspace.Sha256Of(source), CliWorkspace.Sha256Of(path));
    }

    [Fact]
    public async Task Get_of_a_malformed_magnet_is_bad_input()
    {
        var result = await _getter.RunAsync("get", "magnet:?dn=nothing", "--download-dir", _getter.DownloadDirectory, "--json");
        var message = result.ShouldFailWith(2, "bad_input");
        Assert.Contains("btih", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_of_a_damaged_torrent_file_is_bad_input_and_writes_nothing()
    {
        var bogus = Path.Combine(_getter.Root, "broken.torrent");
        await File.WriteAllTextAsync(bogus, "d8:announce3:abc4:infod6:lengthi5e4:name5:a.bin12:piece lengthi16384e6:pieces3:xyzee");
        var result = await _getter.RunAsync("get", bogus, "--download-dir", _getter.DownloadDirectory, "--json");
        var message = result.ShouldFailWith(2, "bad_input");
        Assert.Contains("pieces", message, StringComparison.OrdinalIgnoreCase);
        Assert.False(Directory.Exists(_getter.DownloadDirectory) && Directory.EnumerateFileSystemEntries(_getter.DownloadDirectory).Any());
    }

    private static async Task<int> BtPortAsync(BackgroundSmartShare node) =>
        int.Parse((await node.WaitForLineAsync(@"BitTorrent peers on TCP 127\.0\.0\.1:(\d+)")).Groups[1].Value, CultureInfo.InvariantCulture);

    private BackgroundSmartShare StartSeeder() =>
        BackgroundSmartShare.Start(
            [
                "start", "--port", "0", "--bt-port", "0", "--bind", "127.0.0.1", "--allow-lan", "--api", "http://127.0.0.1:0",
                "--download-dir", _seeder.DownloadDirectory, "--data-dir", _seeder.DataDirectory,
            ],
            _seeder.Root,
            _seeder.Environment);
}
