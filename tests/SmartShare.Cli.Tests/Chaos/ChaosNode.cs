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

    /// <param name="lbryPort">The LBRY DHT (UDP) and blob-exchange (TCP) port; 0 picks a free one at each start.</param>
    /// <param name="btPort">The BitTorrent port; 0 picks a free one at each start. Fixed ports let peers find a restarted node again.</param>
    /// <param name="verbose">Debug logs (the chaos driver reads one of their lines; a long soak does without).</param>
    public static async Task<ChaosNode> StartAsync(
        CliWorkspace workspace, IReadOnlyDictionary<string, string?>? extraEnvironment = null, int lbryPort = 0, int btPort = 0, bool verbose = true)
    {
        var environment = new Dictionary<string, string?>(workspace.Environment);
        foreach (var (key, value) in extraEnvironment ?? new Dictionary<string, string?>())
        {
            environment[key] = value;
        }

        var process = BackgroundSmartShare.Start(
            [
                "start", "--port", lbryPort.ToString(CultureInfo.InvariantCulture), "--bt-port", btPort.ToString(CultureInfo.InvariantCulture),
                "--no-bt-dht", "--bind", "127.0.0.1", "--allow-lan", "--api", "http://127.0.0.1:0",
                "--download-dir", workspace.DownloadDirectory, "--data-dir", workspace.DataDirectory,

                // Debug logs: the engine's line saying how many pieces a restarted torrent loaded from its record.
                .. (verbose ? (string[])["--verbose"] : []),
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

    /// <summary>SIGTERM: the node shuts down gracefully; waits until it has.</summary>
    public async Task TerminateAsync() => await _process.StopAsync("TERM");

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
