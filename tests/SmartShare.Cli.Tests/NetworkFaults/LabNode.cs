using System.Globalization;
using System.Text.Json;
using SmartShare.Cli.Tests.Support;

namespace SmartShare.Cli.Tests.NetworkFaults;

/// <summary>
/// Our node (<c>smartshare start</c>) in one host of a <see cref="FaultLab"/>, bound to the host's address with fixed
/// ports (LBRY 4444, BitTorrent 6881: each namespace has its own ports), no local discovery, no port mapping, and
/// bootstrap nodes only from the lab. Commands run through the CLI inside the same namespace.
/// </summary>
internal sealed class LabNode : IAsyncDisposable
{
    public const int LbryPort = 4444;
    public const int BtPort = 6881;

    private readonly FaultLab _lab;
    private readonly BackgroundSmartShare _process;
    private readonly IReadOnlyDictionary<string, string?> _environment;

    private LabNode(FaultLab lab, int host, CliWorkspace workspace, BackgroundSmartShare process, IReadOnlyDictionary<string, string?> environment)
    {
        _lab = lab;
        Host = host;
        Workspace = workspace;
        _process = process;
        _environment = environment;
    }

    public int Host { get; }

    public CliWorkspace Workspace { get; }

    public string Address => _lab.Address(Host);

    public string BlobAddress => $"{Address}:{LbryPort.ToString(CultureInfo.InvariantCulture)}";

    public string BtAddress => $"{Address}:{BtPort.ToString(CultureInfo.InvariantCulture)}";

    /// <param name="lbryBootstrap">Hosts whose LBRY DHT to join through.</param>
    /// <param name="btBootstrap">Hosts whose Mainline DHT to join through; null runs no Mainline DHT.</param>
    /// <param name="settings">Settings as environment variables (SMARTSHARE_MAX_UPLOAD_RATE, ...).</param>
    public static async Task<LabNode> StartAsync(
        FaultLab lab, int host, CliWorkspace workspace, IEnumerable<int>? lbryBootstrap = null, IEnumerable<int>? btBootstrap = null,
        IReadOnlyDictionary<string, string>? settings = null)
    {
        var environment = new Dictionary<string, string?>(workspace.Environment);
        foreach (var (name, value) in settings ?? new Dictionary<string, string>())
        {
            environment[name] = value;
        }

        List<string> arguments =
        [
            "start", "--port", LbryPort.ToString(CultureInfo.InvariantCulture), "--bt-port", BtPort.ToString(CultureInfo.InvariantCulture),
            "--bind", lab.Address(host), "--allow-lan", "--api", "http://127.0.0.1:0", "--no-local-discovery", "--no-port-mapping",
            "--download-dir", workspace.DownloadDirectory, "--data-dir", workspace.DataDirectory,
        ];
        foreach (var other in (lbryBootstrap ?? []).Where(other => other != host))
        {
            arguments.AddRange(["--bootstrap", $"{lab.Address(other)}:{LbryPort.ToString(CultureInfo.InvariantCulture)}"]);
        }

        if (btBootstrap is null)
        {
            arguments.Add("--no-bt-dht");
        }
        else
        {
            foreach (var other in btBootstrap.Where(other => other != host))
            {
                arguments.AddRange(["--bt-bootstrap", $"{lab.Address(other)}:{BtPort.ToString(CultureInfo.InvariantCulture)}"]);
            }
        }

        var process = BackgroundSmartShare.Start(arguments, workspace.Root, environment, lab.Launcher(host));
        try
        {
            await process.WaitForLineAsync(@"API on http://127\.0\.0\.1:\d+", TimeSpan.FromSeconds(90));
            return new LabNode(lab, host, workspace, process, environment);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs a command of the CLI against this node (inside its namespace, with its data directory).</summary>
    public Task<CliResult> RunAsync(TimeSpan timeLimit, params string[] arguments) =>
        SmartShareProcess.RunAsync([.. arguments, "--data-dir", Workspace.DataDirectory], Workspace.Root, _environment, timeLimit, launcher: _lab.Launcher(Host));

    public Task<CliResult> RunAsync(params string[] arguments) => RunAsync(TimeSpan.FromSeconds(60), arguments);

    /// <summary>The transfers keyed <paramref name="keys"/> as one <c>list --json</c> shows them (null: not listed).</summary>
    public async Task<JsonElement?[]> TransfersAsync(params string[] keys)
    {
        var list = (await RunAsync("list", "--json")).ShouldSucceedWithJson();
        var items = list.GetProperty("items").EnumerateArray().ToList();
        return [.. keys.Select(key => items.FirstOrDefault(item => item.GetProperty("key").GetString() == key) is { ValueKind: JsonValueKind.Object } found ? found.Clone() : (JsonElement?)null)];
    }

    /// <summary>One line for the test log: state, verified bytes, peers and error of a transfer.</summary>
    public static string Describe(JsonElement? transfer)
    {
        if (transfer is not { } item)
        {
            return "not listed";
        }

        var progress = item.GetProperty("progress");
        var error = item.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String ? $", error: {e.GetString()}" : string.Empty;
        return $"{item.GetProperty("state").GetString()}, {progress.GetProperty("bytes_have")}/{progress.GetProperty("bytes_total")} bytes verified, " +
            $"{progress.GetProperty("peers_connected")} peers connected of {progress.GetProperty("peers_known")} known{error}";
    }

    public static long BytesHave(JsonElement? transfer) =>
        transfer is { } item && item.GetProperty("progress").GetProperty("bytes_have").ValueKind == JsonValueKind.Number
            ? item.GetProperty("progress").GetProperty("bytes_have").GetInt64()
            : 0;

    public static string State(JsonElement? transfer) => transfer is { } item ? item.GetProperty("state").GetString() ?? "?" : "not listed";

    public string Describe() => string.Join('\n', _process.ErrorLines.TakeLast(30));

    public async ValueTask DisposeAsync() => await _process.DisposeAsync();
}
