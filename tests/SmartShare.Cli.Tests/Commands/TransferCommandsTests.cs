using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SmartShare.Cli.Tests.Support;

namespace SmartShare.Cli.Tests.Commands;

/// <summary>
/// The real <c>smartshare</c> binary as separate node processes on 127.0.0.1: share on one, get on the other,
/// stream a range while the download runs, and resume after the downloading node is killed with SIGKILL.
/// </summary>
public sealed class TransferCommandsTests : IDisposable
{
    private const int FullBlobPlaintext = 2_097_151;
    private const int Blobs = 12;

    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(60) };

    private readonly CliWorkspace _seeder = new();
    private readonly CliWorkspace _getter = new();

    public void Dispose()
    {
        _seeder.Dispose();
        _getter.Dispose();
    }

    [Fact]
    public async Task Get_through_a_node_writes_identical_bytes_and_a_range_streams_before_the_download_completes()
    {
        // The seeder's upload limit (4 MiB/s) keeps the 24 MiB download running for a few seconds.
        await using var seeder = StartNode(_seeder, uploadKibPerSecond: 4096);
        var (seederApi, seederPort) = await AddressesAsync(seeder);
        var source = _seeder.CreateRandomFile("talk.mp4", Blobs * FullBlobPlaintext);
        var sdHash = (await _seeder.RunAsync("share", source, "--api", seederApi, "--json")).ShouldSucceedWithJson().GetProperty("sd_hash").GetString()!;
        await using var getter = StartNode(_getter);
        var (getterApi, _) = await AddressesAsync(getter);

        var get = _getter.RunAsync("get", sdHash, "--peer", $"127.0.0.1:{seederPort}", "--download-dir", _getter.DownloadDirectory, "--api", getterApi, "--json");
        var first = (5L * FullBlobPlaintext) + 1000;
        var last = first + FullBlobPlaintext;
        using var response = await GetWithRangeAsync(new Uri($"{getterApi}/stream/{sdHash}"), $"bytes={first}-{last}");
        var body = await response.Content.ReadAsByteArrayAsync();
        var statusAfterRange = await FileStatusAsync(getterApi, sdHash);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(File.ReadAllBytes(source).AsSpan((int)first, (int)(last - first + 1)).ToArray(), body);
        Assert.NotEqual("completed", statusAfterRange);

        var result = (await get).ShouldSucceedWithJson();
        var path = result.GetProperty("path").GetString()!;
        Assert.Equal(Path.Combine(_getter.DownloadDirectory, "talk.mp4"), path);
        Assert.Equal(CliWorkspace.Sha256Of(source), CliWorkspace.Sha256Of(path));
    }

    [Fact]
    public async Task A_node_killed_mid_download_resumes_after_restart_without_fetching_verified_blobs_again()
    {
        await using var seeder = StartNode(_seeder, uploadKibPerSecond: 4096);
        var (seederApi, seederPort) = await AddressesAsync(seeder);
        var source = _seeder.CreateRandomFile("lecture.mkv", Blobs * FullBlobPlaintext);
        var sdHash = (await _seeder.RunAsync("share", source, "--api", seederApi, "--json")).ShouldSucceedWithJson().GetProperty("sd_hash").GetString()!;

        var getter = StartNode(_getter);
        var (getterApi, _) = await AddressesAsync(getter);
        await CallAsync(getterApi, "get", new JsonObject { ["uri"] = sdHash, ["peers"] = new JsonArray($"127.0.0.1:{seederPort}") });
        await WaitUntilAsync(async () => (await FileAsync(getterApi, sdHash))["blobs_completed"]?.GetValue<int>() >= 3);
        await SmartShareProcess.SignalAsync(getter.ProcessId, "KILL");
        await getter.WaitForExitAsync();
        await getter.DisposeAsync();
        var servedBeforeKill = await BlobsServedAsync(seederApi);

        await using var restarted = StartNode(_getter);
        var (restartedApi, _) = await AddressesAsync(restarted);
        await WaitUntilAsync(async () => await FileStatusAsync(restartedApi, sdHash) == "completed");

        var file = await FileAsync(restartedApi, sdHash);
        Assert.Equal(CliWorkspace.Sha256Of(source), CliWorkspace.Sha256Of(file["download_path"]!.GetValue<string>()));
        Assert.Empty(Directory.GetFiles(_getter.DownloadDirectory, ".*"));

        // In all: the sd blob and each data blob once, plus at most one blob per connection that was in flight
        // (sent but not yet stored) when the node died. A restart from scratch would be at least 3 more.
        var served = await BlobsServedAsync(seederApi);
        Assert.InRange(served, 1 + Blobs, 1 + Blobs + 4);
        Assert.True(servedBeforeKill >= 4);
    }

    private static BackgroundSmartShare StartNode(CliWorkspace workspace, int uploadKibPerSecond = 0)
    {
        var environment = new Dictionary<string, string?>(workspace.Environment)
        {
            ["SMARTSHARE_MAX_UPLOAD_RATE"] = uploadKibPerSecond.ToString(CultureInfo.InvariantCulture),
        };
        return BackgroundSmartShare.Start(
            [
                "start", "--port", "0", "--bind", "127.0.0.1", "--allow-lan", "--api", "http://127.0.0.1:0",
                "--download-dir", workspace.DownloadDirectory, "--data-dir", workspace.DataDirectory,
            ],
            workspace.Root,
            environment);
    }

    private static async Task<(string Api, int Port)> AddressesAsync(BackgroundSmartShare node)
    {
        var started = await node.WaitForLineAsync(@"API on (http://127\.0\.0\.1:\d+), LBRY DHT listening on UDP 127\.0\.0\.1:(\d+)");
        return (started.Groups[1].Value, int.Parse(started.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    private static async Task<HttpResponseMessage> GetWithRangeAsync(Uri uri, string range)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.TryAddWithoutValidation("Range", range);
        return await Http.SendAsync(request);
    }

    private static async Task<JsonNode?> CallAsync(string api, string method, JsonObject? parameters = null)
    {
        using var response = await Http.PostAsJsonAsync(new Uri(api), new JsonObject { ["method"] = method, ["params"] = parameters ?? [] });
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(answer["error"] is null, $"{method} failed: {answer["error"]?.ToJsonString()}");
        return answer["result"];
    }

    private static async Task<JsonObject> FileAsync(string api, string sdHash)
    {
        var list = await CallAsync(api, "file_list", new JsonObject { ["sd_hash"] = sdHash });
        return (JsonObject)list!["items"]!.AsArray().Single()!;
    }

    private static async Task<string?> FileStatusAsync(string api, string sdHash) =>
        (await FileAsync(api, sdHash))["status"]?.GetValue<string>();

    private static async Task<long> BlobsServedAsync(string api) =>
        (await CallAsync(api, "status"))!["blob_exchange"]!["blobs_served"]!.GetValue<long>();

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (!await condition())
        {
            await Task.Delay(100, limit.Token);
        }
    }
}
