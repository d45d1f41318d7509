using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SmartShare.Cli.Tests.NetworkFaults;

/// <summary>
/// A libtorrent 2.0 peer (Debian's python3-libtorrent in /usr/bin/python3, driven by the interop tests' lt_peer.py) inside
/// one host of a <see cref="FaultLab"/>, allowed to reach the lab's 10.78.0.0/16 only (LT_LAB_NETWORK).
/// </summary>
internal sealed class LabLibtorrent : IAsyncDisposable
{
    private const string Python = "/usr/bin/python3";
    private readonly LabProcess _process;
    private long _done;

    private LabLibtorrent(FaultLab lab, int host, int port, JsonObject arguments)
    {
        Endpoint = $"{lab.Address(host)}:{port.ToString(CultureInfo.InvariantCulture)}";
        _process = LabProcess.Start(
            lab, host, $"libtorrent ({arguments["mode"]}) on {Endpoint}", [Python, Script, arguments.ToJsonString()],
            new Dictionary<string, string> { ["LT_LAB_NETWORK"] = "10.78.0.0/16" }, Receive);
    }

    public string Endpoint { get; }

    /// <summary>Bytes of the torrent it has, from its last progress line (every 0.5 s).</summary>
    public long Done => Interlocked.Read(ref _done);

    public static bool Available => File.Exists(Python) && File.Exists(Script);

    private static string Script => Path.Combine(AppContext.BaseDirectory, "NetworkFaults", "lt_peer.py");

    /// <summary>Starts a seeder (of what <paramref name="savePath"/> holds) or a downloader and waits until it listens.</summary>
    /// <param name="transport">"utp" (uTP only), "tcp" or "both".</param>
    public static async Task<LabLibtorrent> StartAsync(
        FaultLab lab, int host, int port, bool seed, string torrentPath, string savePath, string transport, IEnumerable<string>? peers = null)
    {
        var arguments = new JsonObject
        {
            ["mode"] = seed ? "seed" : "download",
            ["torrent"] = torrentPath,
            ["save_path"] = savePath,
            ["listen"] = $"{lab.Address(host)}:{port.ToString(CultureInfo.InvariantCulture)}",
            ["peers"] = new JsonArray([.. (peers ?? []).Select(peer => JsonValue.Create(peer))]),
            ["seed_mode"] = seed,
            ["transport"] = transport,
        };
        var peer = new LabLibtorrent(lab, host, port, arguments);
        try
        {
            await peer._process.WaitForLineAsync(line => line.Contains("\"listening\"", StringComparison.Ordinal), "listen", TimeSpan.FromSeconds(30));
            return peer;
        }
        catch
        {
            await peer.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until it has every piece (a downloader: flushed to disk).</summary>
    public Task<string> WaitForFinishedAsync(TimeSpan timeLimit) =>
        _process.WaitForLineAsync(line => line.Contains("\"finished\"", StringComparison.Ordinal), "finish", timeLimit);

    public string Describe() => _process.Describe();

    public async ValueTask DisposeAsync()
    {
        _process.WriteLine("{\"cmd\":\"quit\"}");
        await _process.DisposeAsync();
    }

    private void Receive(string line)
    {
        if (!line.Contains("\"progress\"", StringComparison.Ordinal))
        {
            return;
        }

        try
        {
            using var document = JsonDocument.Parse(line);
            Interlocked.Exchange(ref _done, document.RootElement.GetProperty("done").GetInt64());
        }
        catch (JsonException)
        {
        }
    }
}
