using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using SmartShare.Cli.Tests.Support;

namespace SmartShare.Cli.Tests.Commands;

/// <summary>
/// The real <c>smartshare</c> binary managing transfers: <c>pause</c>, <c>resume</c>, <c>remove</c>, <c>files</c> and
/// <c>peers --connected</c> on transfers named by a hash prefix or by name, through running nodes; and <c>get</c> of a
/// stream nobody has, which gives up within its time limit and leaves no entry behind.
/// </summary>
public sealed class ManageCommandsTests : IDisposable
{
    private const int SlowSize = 4 * 1024 * 1024;

    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(60) };

    private readonly CliWorkspace _seeder = new();
    private readonly CliWorkspace _getter = new();

    public void Dispose()
    {
        _seeder.Dispose();
        _getter.Dispose();
    }

    [Fact]
    public async Task A_multi_file_torrent_lists_its_files_and_is_paused_resumed_and_removed_by_prefix_and_by_name()
    {
        await using var node = StartNode(_seeder);
        var (api, _, _) = await AddressesAsync(node);
        var folder = Path.Combine(_seeder.Root, "album");
        Directory.CreateDirectory(Path.Combine(folder, "disc2"));
        File.Move(_seeder.CreateRandomFile("one.flac", 70_000), Path.Combine(folder, "one.flac"));
        File.Move(_seeder.CreateRandomFile("two.flac", 50_000), Path.Combine(folder, "disc2", "two.flac"));
        var infoHash = (await _seeder.RunAsync("share", folder, "--torrent", "--api", api, "--json")).ShouldSucceedWithJson().GetProperty("info_hash").GetString()!;
        var prefix = infoHash[..8];

        var files = (await _seeder.RunAsync("files", prefix, "--api", api, "--json")).ShouldSucceedWithJson();
        var human = await _seeder.RunAsync("files", "album", "--api", api);
        var paused = (await _seeder.RunAsync("pause", "album", "--api", api, "--json")).ShouldSucceedWithJson();
        var stateWhilePaused = await StateAsync(api, infoHash);
        var resumed = (await _seeder.RunAsync("resume", prefix.ToUpperInvariant(), "--api", api, "--json")).ShouldSucceedWithJson();
        (await _seeder.RunAsync("remove", "album", "--api", api, "--json")).ShouldSucceedWithJson();

        Assert.Equal(infoHash, files.GetProperty("key").GetString());
        var entries = files.GetProperty("files").EnumerateArray().ToList();
        Assert.Equal(2, entries.Count);
        Assert.Equal(["disc2/two.flac", "one.flac"], entries.Select(file => file.GetProperty("path").GetString()).Order(StringComparer.Ordinal));
        Assert.All(entries, file => Assert.Equal(file.GetProperty("length").GetInt64(), file.GetProperty("bytes_have").GetInt64()));
        Assert.All(entries, file => Assert.True(file.GetProperty("wanted").GetBoolean()));
        human.ShouldExitWith(0);
        Assert.Contains("2 files in album", human.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("disc2/two.flac", human.StandardOutput, StringComparison.Ordinal);
        Assert.Equal("stopped", paused.GetProperty("state").GetString());
        Assert.Equal("stopped", stateWhilePaused);
        Assert.NotEqual("stopped", resumed.GetProperty("state").GetString());
        Assert.Null(await ItemAsync(api, infoHash));
        Assert.True(File.Exists(Path.Combine(folder, "one.flac")), "remove without --delete-data keeps the shared files");
    }

    [Fact]
    public async Task Get_with_files_fetches_only_those_and_files_want_and_priority_add_one_later()
    {
        await using var seeder = StartNode(_seeder);
        var (seederApi, _, btPort) = await AddressesAsync(seeder);
        var folder = Path.Combine(_seeder.Root, "pack");
        Directory.CreateDirectory(folder);
        File.Move(_seeder.CreateRandomFile("a.bin", 90_001), Path.Combine(folder, "a.bin"));
        File.Move(_seeder.CreateRandomFile("b.bin", 70_003), Path.Combine(folder, "b.bin"));
        File.Move(_seeder.CreateRandomFile("c.bin", 50_005), Path.Combine(folder, "c.bin"));
        var shared = (await _seeder.RunAsync("share", folder, "--torrent", "--api", seederApi, "--json")).ShouldSucceedWithJson();
        var infoHash = shared.GetProperty("info_hash").GetString()!;
        await using var getter = StartNode(_getter);
        var (getterApi, _, _) = await AddressesAsync(getter);

        var badIndexes = (await _getter.RunAsync("get", shared.GetProperty("torrent").GetString()!, "--files", "2-0", "--api", getterApi, "--json")).ShouldFailWith(2, "bad_input");
        var got = (await _getter.RunAsync(
            "get", shared.GetProperty("torrent").GetString()!, "--peer", $"127.0.0.1:{btPort}", "--files", "0,2", "--api", getterApi, "--json")).ShouldSucceedWithJson();
        var root = Path.Combine(_getter.DownloadDirectory, "pack");
        var onDiskAfterGet = Directory.EnumerateFiles(root).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        var badLevel = (await _getter.RunAsync("files", infoHash[..8], "--priority", "urgent:1", "--api", getterApi, "--json")).ShouldFailWith(2, "bad_input");
        var changed = (await _getter.RunAsync("files", infoHash[..8], "--want", "1", "--priority", "high:1", "--sequential", "on", "--api", getterApi, "--json")).ShouldSucceedWithJson();
        var human = await _getter.RunAsync("files", "pack", "--skip", "2", "--api", getterApi);
        await WaitUntilAsync(async () => File.Exists(Path.Combine(root, "b.bin")) && await StateAsync(getterApi, infoHash) == "seeding");

        Assert.Contains("backwards", badIndexes, StringComparison.Ordinal);
        Assert.Equal(2, got.GetProperty("wanted_files").GetInt32());
        Assert.Equal(["a.bin", "c.bin"], onDiskAfterGet);
        Assert.Contains("high, normal or low", badLevel, StringComparison.Ordinal);
        var entries = changed.GetProperty("files").EnumerateArray().ToList();
        Assert.All(entries, file => Assert.True(file.GetProperty("wanted").GetBoolean()));
        Assert.Equal("high", entries[1].GetProperty("priority").GetString());
        human.ShouldExitWith(0);
        Assert.Contains("2 wanted", human.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(folder, "b.bin")), await File.ReadAllBytesAsync(Path.Combine(root, "b.bin")));
        Assert.True(File.Exists(Path.Combine(root, "c.bin")), "a file skipped after it was downloaded keeps its data");
    }

    [Fact]
    public async Task A_running_stream_download_is_paused_by_prefix_resumed_by_name_and_removed_with_its_data()
    {
        // The seeder's upload limit (1 MiB/s) keeps the 4 MiB download running while it is managed.
        await using var seeder = StartNode(_seeder, uploadKibPerSecond: 1024);
        var (seederApi, seederPort, _) = await AddressesAsync(seeder);
        var source = _seeder.CreateRandomFile("lecture.mkv", SlowSize);
        var sdHash = (await _seeder.RunAsync("share", source, "--api", seederApi, "--json")).ShouldSucceedWithJson().GetProperty("sd_hash").GetString()!;
        await using var getter = StartNode(_getter);
        var (getterApi, _, _) = await AddressesAsync(getter);
        await CallAsync(getterApi, "get", new JsonObject { ["uri"] = sdHash, ["peers"] = new JsonArray($"127.0.0.1:{seederPort}") });
        await WaitUntilAsync(async () => (await ItemAsync(getterApi, sdHash))?["state"]?.GetValue<string>() == "downloading");

        var paused = (await _getter.RunAsync("pause", sdHash[..6], "--api", getterApi, "--json")).ShouldSucceedWithJson();
        var stateWhilePaused = await StateAsync(getterApi, sdHash);
        var resumed = (await _getter.RunAsync("resume", "lecture.mkv", "--api", getterApi, "--json")).ShouldSucceedWithJson();
        var removed = (await _getter.RunAsync("remove", sdHash[..10], "--delete-data", "--api", getterApi, "--json")).ShouldSucceedWithJson();

        Assert.Equal(sdHash, paused.GetProperty("key").GetString());
        Assert.Equal("stopped", paused.GetProperty("state").GetString());
        Assert.Equal("stopped", stateWhilePaused);
        Assert.NotEqual("stopped", resumed.GetProperty("state").GetString());
        Assert.True(removed.GetProperty("deleted_data").GetBoolean());
        Assert.Null(await ItemAsync(getterApi, sdHash));
        Assert.False(File.Exists(Path.Combine(_getter.DownloadDirectory, "lecture.mkv")));
    }

    [Fact]
    public async Task An_ambiguous_name_or_an_unknown_name_or_prefix_is_bad_input_naming_the_candidates()
    {
        // One file shared as a stream and as a torrent: two transfers named "song.ogg". No node runs: a one-off one answers.
        var source = _seeder.CreateRandomFile("song.ogg", 120_000);
        var shared = (await _seeder.RunAsync("share", source, "--torrent", "--json")).ShouldSucceedWithJson();
        var sdHash = shared.GetProperty("sd_hash").GetString()!;
        var infoHash = shared.GetProperty("info_hash").GetString()!;

        var ambiguous = (await _seeder.RunAsync("pause", "song.ogg", "--json")).ShouldFailWith(2, "bad_input");
        var unknown = (await _seeder.RunAsync("remove", "no-such-transfer", "--json")).ShouldFailWith(2, "bad_input");
        var shortPrefix = (await _seeder.RunAsync("files", sdHash[..3], "--json")).ShouldFailWith(2, "bad_input");
        var noMatch = (await _seeder.RunAsync("resume", "ffff0000", "--json")).ShouldFailWith(2, "bad_input");
        var byPrefix = (await _seeder.RunAsync("files", infoHash[..5], "--json")).ShouldSucceedWithJson();

        Assert.Contains("2 transfers", ambiguous, StringComparison.Ordinal);
        Assert.Contains(sdHash[..12], ambiguous, StringComparison.Ordinal);
        Assert.Contains(infoHash[..12], ambiguous, StringComparison.Ordinal);
        Assert.Contains("No transfer is named 'no-such-transfer'", unknown, StringComparison.Ordinal);
        Assert.Contains("at least 4 hex digits", shortPrefix, StringComparison.Ordinal);
        Assert.Contains("No transfer is named 'ffff0000'", noMatch, StringComparison.Ordinal);
        Assert.Equal("song.ogg", byPrefix.GetProperty("files")[0].GetProperty("path").GetString());
        var listed = (await _seeder.RunAsync("list", "--json")).ShouldSucceedWithJson().GetProperty("items").GetArrayLength();
        Assert.Equal(2, listed);
    }

    [Fact]
    public async Task Peers_connected_of_a_torrent_being_seeded_lists_the_second_node_and_peers_hash_still_asks_the_dht()
    {
        // 8 MiB at 256 KiB/s: the download runs for about 32 s, and a leecher drops its seed once complete, so the
        // peers must be seen within that window even when the suite loads both cores (16 s was once too short).
        await using var seeder = StartNode(_seeder, uploadKibPerSecond: 256);
        var (seederApi, _, btPort) = await AddressesAsync(seeder);
        var source = _seeder.CreateRandomFile("film.mkv", 2 * SlowSize);
        var shared = (await _seeder.RunAsync("share", source, "--torrent", "--api", seederApi, "--json")).ShouldSucceedWithJson();
        var infoHash = shared.GetProperty("info_hash").GetString()!;
        await using var getter = StartNode(_getter);
        var (getterApi, _, _) = await AddressesAsync(getter);
        await CallAsync(getterApi, "get", new JsonObject { ["uri"] = shared.GetProperty("torrent").GetString(), ["peers"] = new JsonArray($"127.0.0.1:{btPort}") });

        JsonElement peers = default;
        CliResult? human = null;
        await WaitUntilAsync(async () =>
        {
            peers = (await _seeder.RunAsync("peers", infoHash[..8], "--connected", "--api", seederApi, "--json")).ShouldSucceedWithJson();
            human = await _getter.RunAsync("peers", "film.mkv", "--connected", "--api", getterApi);
            // The seeder's listening port when the getter's own connection is the one kept, or the seeder's outgoing
            // port when the seeder also dialed (local discovery) and its TCP connection won: loopback is dialed on TCP
            // first, and a TCP connection comes from a port of its own (a uTP one from the node's one UDP port).
            return peers.GetProperty("peers").GetArrayLength() > 0 && human.StandardOutput.Contains("127.0.0.1:", StringComparison.Ordinal);
        });
        var dht = await _seeder.RunAsync("peers", shared.GetProperty("sd_hash").GetString()!, "--api", seederApi, "--json");

        var peer = peers.GetProperty("peers")[0];
        Assert.Equal(infoHash, peers.GetProperty("key").GetString());
        Assert.Equal("127.0.0.1", peer.GetProperty("address").GetString());
        Assert.True(peer.GetProperty("connected").GetBoolean());
        Assert.False(string.IsNullOrEmpty(peer.GetProperty("client").GetString()));
        Assert.Equal(JsonValueKind.Number, peer.GetProperty("upload_rate").ValueKind);
        human!.ShouldExitWith(0);
        Assert.Contains("100.0%", human.StandardOutput, StringComparison.Ordinal);

        // Which transport each peer came over (both nodes take both: TCP is dialled first on loopback).
        var via = peer.GetProperty("transport").GetString()!;
        Assert.Contains(via, new[] { "tcp", "utp" });
        Assert.Contains($"  {via,-4}  ", human.StandardOutput, StringComparison.Ordinal);
        dht.ShouldSucceedWithJson().GetProperty("peers");
    }

    [Fact]
    public async Task Get_of_an_unknown_sd_hash_gives_up_within_its_limit_says_what_it_tried_and_leaves_no_entry()
    {
        var unknown = string.Concat(Enumerable.Repeat("5a", 48));
        var deadPeer = $"127.0.0.1:{CliWorkspace.UnusedPort()}";

        var result = await _getter.RunAsync("get", unknown, "--peer", deadPeer, "--timeout", "2", "--download-dir", _getter.DownloadDirectory, "--json");
        var list = (await _getter.RunAsync("list", "--json")).ShouldSucceedWithJson();

        var message = result.ShouldFailWith(1, "download_failed");
        Assert.Contains("Gave up looking for", message, StringComparison.Ordinal);
        Assert.Contains("--timeout 2", message, StringComparison.Ordinal);
        Assert.Contains("known, 0 connected", message, StringComparison.Ordinal);
        Assert.Contains("DHT lookup", message, StringComparison.Ordinal);
        Assert.Contains("entry it created was removed", message, StringComparison.Ordinal);
        Assert.Equal(0, list.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Get_of_a_magnet_nobody_serves_gives_up_within_its_limit_and_leaves_no_entry()
    {
        var magnet = $"magnet:?xt=urn:btih:{string.Concat(Enumerable.Repeat("7c", 20))}&dn=nothing.iso&x.pe=127.0.0.1:{CliWorkspace.UnusedPort()}";

        var result = await _getter.RunAsync("get", magnet, "--timeout", "2", "--download-dir", _getter.DownloadDirectory, "--json");
        var list = (await _getter.RunAsync("list", "--json")).ShouldSucceedWithJson();

        var message = result.ShouldFailWith(1, "download_failed");
        Assert.Contains("Gave up looking for", message, StringComparison.Ordinal);
        Assert.Contains("nobody sent its metadata", message, StringComparison.Ordinal);
        Assert.Contains("peer", message, StringComparison.Ordinal);
        Assert.Contains("entry it created was removed", message, StringComparison.Ordinal);
        Assert.Equal(0, list.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Get_with_keep_trying_leaves_its_entry_listed_when_interrupted()
    {
        var unknown = string.Concat(Enumerable.Repeat("6b", 48));
        var deadPeer = $"127.0.0.1:{CliWorkspace.UnusedPort()}";
        var started = DateTime.UtcNow;

        var result = await _getter.RunAndSignalAsync(
            () => DateTime.UtcNow - started > TimeSpan.FromSeconds(4), "four seconds", "INT",
            "get", unknown, "--peer", deadPeer, "--timeout", "1", "--keep-trying", "--download-dir", _getter.DownloadDirectory, "--json");
        var list = (await _getter.RunAsync("list", "--json")).ShouldSucceedWithJson();

        result.ShouldExitWith(130);
        Assert.Contains(list.GetProperty("items").EnumerateArray(), item => item.GetProperty("key").GetString() == unknown);
    }

    private static BackgroundSmartShare StartNode(CliWorkspace workspace, int uploadKibPerSecond = 0)
    {
        var environment = new Dictionary<string, string?>(workspace.Environment)
        {
            ["SMARTSHARE_MAX_UPLOAD_RATE"] = uploadKibPerSecond.ToString(CultureInfo.InvariantCulture),
        };
        return BackgroundSmartShare.Start(
            [
                "start", "--port", "0", "--bt-port", "0", "--bind", "127.0.0.1", "--allow-lan", "--api", "http://127.0.0.1:0",
                "--download-dir", workspace.DownloadDirectory, "--data-dir", workspace.DataDirectory,
            ],
            workspace.Root,
            environment);
    }

    private static async Task<(string Api, int Port, int BtPort)> AddressesAsync(BackgroundSmartShare node)
    {
        var started = await node.WaitForLineAsync(@"API on (http://127\.0\.0\.1:\d+), LBRY DHT listening on UDP 127\.0\.0\.1:(\d+)");
        var bt = await node.WaitForLineAsync(@"BitTorrent peers on TCP 127\.0\.0\.1:(\d+)");
        return (started.Groups[1].Value, int.Parse(started.Groups[2].Value, CultureInfo.InvariantCulture), int.Parse(bt.Groups[1].Value, CultureInfo.InvariantCulture));
    }

    private static async Task<JsonNode?> CallAsync(string api, string method, JsonObject? parameters = null)
    {
        using var response = await Http.PostAsJsonAsync(new Uri(api), new JsonObject { ["method"] = method, ["params"] = parameters ?? [] });
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(answer["error"] is null, $"{method} failed: {answer["error"]?.ToJsonString()}");
        return answer["result"];
    }

    private static async Task<JsonObject?> ItemAsync(string api, string key) =>
        (await CallAsync(api, "file_list", new JsonObject { ["key"] = key }))!["items"]!.AsArray().SingleOrDefault() as JsonObject;

    private static async Task<string?> StateAsync(string api, string key) => (await ItemAsync(api, key))?["state"]?.GetValue<string>();

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (!await condition())
        {
            await Task.Delay(100, limit.Token);
        }
    }
}
