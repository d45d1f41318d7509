using System.Globalization;
using System.Text.Json.Nodes;
using SmartShare.Cli.Tests.Support;
using SmartShare.Node.Client;

namespace SmartShare.Cli.Tests.Chaos;

/// <summary>A <c>smartshare start</c> process on loopback (ports 0, no Mainline DHT) and a client of its API.</summary>
internal sealed class ChaosNode : IAsyncDisposable
{
    private readonly BackgroundSmartShare _process;
    private bool _disposed;

    private ChaosNode(BackgroundSmartShare process, NodeApiClient api, int btPort, int lbryPort)
    {
        _process = process;
        Api = api;
        BtPort = btPort;
        LbryPort = lbryPort;
    }

    public NodeApiClient Api { get; }

    public int BtPort { get; }

    public int LbryPort { get; }

    public int ProcessId => _process.ProcessId;

    public static async Task<ChaosNode> StartAsync(CliWorkspace workspace, IReadOnlyDictionary<string, string?>? extraEnvironment = null)
    {
        var environment = new Dictionary<string, string?>(workspace.Environment);
        foreach (var (key, value) in extraEnvironment ?? new Dictionary<string, string?>())
        {
            environment[key] = value;
        }

        var process = BackgroundSmartShare.Start(
            [
                "start", "--port", "0", "--bt-port", "0", "--no-bt-dht", "--bind", "127.0.0.1", "--allow-lan", "--api", "http://127.0.0.1:0",
                "--download-dir", workspace.DownloadDirectory, "--data-dir", workspace.DataDirectory,

                // Debug logs: the engine's line saying how many pieces a restarted torrent loaded from its record.
                "--verbose",
            ],
            workspace.Root,
            environment);
        try
        {
            var api = new Uri((await process.WaitForLineAsync(@"API on (http://127\.0\.0\.1:\d+)")).Groups[1].Value);
            var bt = int.Parse((await process.WaitForLineAsync(@"BitTorrent peers on TCP 127\.0\.0\.1:(\d+)")).Groups[1].Value, CultureInfo.InvariantCulture);
            var client = new NodeApiClient(api, authorization: NodeApiCredentials.For(workspace.DataDirectory, api), timeout: TimeSpan.FromSeconds(60));
            var status = (await client.CallAsync("status"))!;
            var lbry = status["networks"]!["lbry"]!["udp_port"]!.GetValue<int>();
            return new ChaosNode(process, client, bt, lbry);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    public async Task<JsonObject> CallAsync(string method, JsonObject? parameters = null) =>
        (JsonObject)(await Api.CallAsync(method, parameters))!;

    /// <summary>Every listed transfer, all pages.</summary>
    public async Task<List<JsonObject>> TransfersAsync()
    {
        var items = new List<JsonObject>();
        for (var page = 1; ; page++)
        {
            var answer = await CallAsync("file_list", new JsonObject { ["page"] = page, ["page_size"] = 100 });
            items.AddRange(answer["items"]!.AsArray().OfType<JsonObject>());
            if (page >= answer["total_pages"]!.GetValue<int>())
            {
                return items;
            }
        }
    }

    /// <summary>The transfer keyed <paramref name="key"/>, or null when it is not listed.</summary>
    public async Task<JsonObject?> TransferAsync(string key) =>
        (await TransfersAsync()).FirstOrDefault(item => (string?)item["key"] == key || (string?)item["sd_hash"] == key || (string?)item["info_hash"] == key);

    /// <summary>SIGKILL: the process ends at once, in whatever it was doing.</summary>
    public async Task KillAsync() => await _process.StopAsync("KILL");

    /// <summary>The stderr lines (the node's log) printed so far.</summary>
    public IReadOnlyList<string> LogLines => _process.ErrorLines;

    public string Describe() => string.Join('\n', _process.ErrorLines.TakeLast(40));

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Api.Dispose();
        await _process.DisposeAsync();
    }
}
