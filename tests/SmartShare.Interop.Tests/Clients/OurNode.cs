using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SmartShare.Node.Client;
using SmartShare.Node.Hosting;
using SmartShare.Node.Settings;
using SmartShare.Node.Torrents;

namespace SmartShare.Interop.Tests.Clients;

/// <summary>
/// Our node (SmartShare.Node's <see cref="NodeHost"/>) in this process, on 127.0.0.1 with free ports (API, LBRY DHT
/// and BitTorrent), no bootstrap, its own data and download folders under a test folder and Debug-level logs in
/// <c>data/logs/smartshare.log</c> (the BitTorrent engine logs there as "BitTorrent: ..."), which failure
/// messages quote. A failed BitTorrent dial is retried after 1 s instead of 15 s. Driven through its JSON-RPC API
/// like a user would.
/// </summary>
public sealed class OurNode : IAsyncDisposable
{
    private OurNode(NodeHost host, string root)
    {
        Host = host;
        Root = root;
        Client = new NodeApiClient(host.ApiUri, timeout: TimeSpan.FromSeconds(60));
    }

    public NodeHost Host { get; }

    /// <summary>The test folder holding <c>data</c> and <c>downloads</c>.</summary>
    public string Root { get; }

    public string DataDirectory => Path.Combine(Root, "data");

    /// <summary>The node's download_dir setting.</summary>
    public string Downloads => Path.Combine(Root, "downloads");

    public NodeApiClient Client { get; }

    public TorrentManager Torrents => Host.Services.GetRequiredService<TorrentManager>();

    /// <summary>Where our node accepts BitTorrent peers.</summary>
    public IPEndPoint BitTorrentEndPoint => new(Torrents.ListenEndPoint.Address, Torrents.ListenEndPoint.Port);

    public string LogPath => Path.Combine(DataDirectory, NodeHost.LogFolderName, NodeHost.LogFileName);

    /// <param name="root">The test folder (created).</param>
    /// <param name="configure">Changes the start-up flags before the node starts, e.g. sets
    /// <see cref="NodeSettingKeys.BtBootstrap"/> to a loopback Mainline DHT node (see <see cref="MainlineBootstrap"/>)
    /// or <see cref="NodeSettingKeys.BtEncryption"/>.</param>
    public static async Task<OurNode> StartAsync(string root, Action<Dictionary<string, JsonNode?>>? configure = null)
    {
        Directory.CreateDirectory(root);
        var flags = SmartShare.Tests.Shared.LoopbackNodeFlags.Create(Path.Combine(root, "downloads"));
        configure?.Invoke(flags);
        var dataDirectory = Path.Combine(root, "data");
        var settings = NodeSettingsStore.Load(dataDirectory, flags, _ => null);
        var host = new NodeHost(new NodeHostOptions { DataDirectory = dataDirectory, Settings = settings, Verbose = true });
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await host.StartAsync(limit.Token);
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }

        var node = new OurNode(host, root);

        // A failed dial is tried again after 1 s rather than 15 s (like lt_peer's min_reconnect_time, facts point
        // 14): Transmission closes incoming handshakes while it still checks its files after starting.
        node.Torrents.ConfigureSessions = options => options.RedialDelay = TimeSpan.FromSeconds(1);
        Assert.True(IPAddress.IsLoopback(node.Torrents.ListenEndPoint.Address), $"our node listens on {node.Torrents.ListenEndPoint}, not loopback");
        return node;
    }

    /// <summary>A <c>configure</c> action for <see cref="StartAsync"/>: join the Mainline DHT through these loopback nodes.</summary>
    public static Action<Dictionary<string, JsonNode?>> MainlineBootstrap(params IPEndPoint[] nodes) =>
        flags => flags[NodeSettingKeys.BtBootstrap] = new JsonArray([.. nodes.Select(node => (JsonNode?)JsonValue.Create(node.ToString()))]);

    public Task<JsonNode?> CallAsync(string method, JsonObject? parameters = null) => Client.CallAsync(method, parameters);

    /// <summary><c>status</c>'s <c>bittorrent.dht</c> object (port, node_id, nodes, ...); fails the test when it is missing.</summary>
    public async Task<JsonObject> MainlineDhtStatusAsync()
    {
        var status = await CallAsync("status");
        var dht = status?["bittorrent"]?["dht"] as JsonObject;
        Assert.True(dht is not null, $"status has no bittorrent.dht object (is the Mainline DHT on?): {status?.ToJsonString()}\n{Describe()}");
        return dht;
    }

    /// <summary>Our Mainline DHT node: UDP on 127.0.0.1 at <c>status</c>'s bittorrent.dht.port.</summary>
    public async Task<IPEndPoint> MainlineDhtEndPointAsync()
    {
        var dht = await MainlineDhtStatusAsync();
        var port = dht["port"]?.GetValue<int>() ?? 0;
        Assert.True(port > 0, $"status's bittorrent.dht has no port: {dht.ToJsonString()}\n{Describe()}");
        return new IPEndPoint(IPAddress.Loopback, port);
    }

    /// <summary>Waits until our Mainline DHT routing table holds at least <paramref name="nodes"/> nodes (status's bittorrent.dht.nodes).</summary>
    public async Task WaitForMainlineDhtNodesAsync(int nodes, TimeSpan timeLimit, Func<string>? diagnostics = null)
    {
        JsonObject? last = null;
        await Waiting.UntilAsync(
            async () =>
            {
                last = await MainlineDhtStatusAsync();
                return last["nodes"]?.GetValue<int>() >= nodes;
            },
            $"our Mainline DHT knows {nodes} node(s)",
            timeLimit,
            () => $"last bittorrent.dht: {last?.ToJsonString()}\n{Describe()}{(diagnostics is null ? "" : "\n" + diagnostics())}");
    }

    /// <summary><c>get</c> of a magnet link, optionally with peers to dial; returns the answer.</summary>
    public async Task<JsonObject> GetMagnetAsync(string magnet, IEnumerable<IPEndPoint>? peers = null)
    {
        var parameters = new JsonObject { ["uri"] = magnet };
        if (peers is not null)
        {
            parameters["peers"] = new JsonArray([.. peers.Select(peer => (JsonNode?)JsonValue.Create(peer.ToString()))]);
        }

        JsonNode? answer = null;
        try
        {
            answer = await CallAsync("get", parameters);
        }
        catch (NodeApiException ex)
        {
            Assert.Fail($"Our node refused get of {magnet}: {ex.Message}\n{Describe()}");
        }

        return answer as JsonObject ?? throw new Xunit.Sdk.XunitException($"get of {magnet} answered {answer?.ToJsonString()}\n{Describe()}");
    }

    /// <summary><c>get</c> of a .torrent path, optionally with peers to dial and a download folder.</summary>
    public async Task<JsonObject> GetTorrentAsync(string torrentPath, IEnumerable<IPEndPoint>? peers = null, string? downloadDirectory = null)
    {
        var parameters = new JsonObject { ["uri"] = torrentPath };
        if (peers is not null)
        {
            parameters["peers"] = new JsonArray([.. peers.Select(peer => (JsonNode?)JsonValue.Create(peer.ToString()))]);
        }

        if (downloadDirectory is not null)
        {
            parameters["download_directory"] = downloadDirectory;
        }

        return (JsonObject)(await CallAsync("get", parameters))!;
    }

    /// <summary><c>stream_create</c> with torrent: a torrent of a file or folder, written to <paramref name="torrentPath"/> and seeded.</summary>
    /// <param name="advertise">stream_create's advertise: the HOST[:PORT] the magnet's x.pe and dht= name (by default the node picks).</param>
    public async Task<JsonObject> ShareTorrentAsync(string path, string torrentPath, IEnumerable<string>? trackers = null, IEnumerable<string>? advertise = null)
    {
        var parameters = new JsonObject
        {
            ["file_path"] = path,
            ["torrent"] = true,
            ["torrent_path"] = torrentPath,
            ["trackers"] = new JsonArray([.. (trackers ?? []).Select(url => (JsonNode?)JsonValue.Create(url))]),
        };
        if (advertise is not null)
        {
            parameters["advertise"] = new JsonArray([.. advertise.Select(host => (JsonNode?)JsonValue.Create(host))]);
        }

        var result = (JsonObject)(await CallAsync("stream_create", parameters))!;
        Assert.True(File.Exists(torrentPath), $"stream_create did not write {torrentPath}: {result.ToJsonString()}");
        return result;
    }

    /// <summary>The <c>file_list</c> entry of a torrent.</summary>
    public async Task<JsonObject> TorrentAsync(string infoHash)
    {
        var list = await CallAsync("file_list", new JsonObject { ["info_hash"] = infoHash });
        var items = list!["items"]!.AsArray();
        Assert.True(items.Count == 1, $"file_list for {infoHash} has {items.Count} entries: {list.ToJsonString()}\n{Describe()}");
        return (JsonObject)items[0]!;
    }

    /// <summary>Waits until the torrent's status is "completed"; fails at once when it stopped with an error.</summary>
    public async Task<JsonObject> WaitForCompletedAsync(string infoHash, TimeSpan timeLimit, Func<string>? diagnostics = null)
    {
        JsonObject? last = null;
        await Waiting.UntilAsync(
            async () =>
            {
                last = await TorrentAsync(infoHash);
                var status = last["status"]?.GetValue<string>();
                Assert.False(
                    status is "stopped" or "failed",
                    $"Our node's torrent {infoHash} is {status}: {last.ToJsonString()}\n{Describe()}{(diagnostics is null ? "" : "\n" + diagnostics())}");
                return status == "completed";
            },
            $"our node completes {infoHash}",
            timeLimit,
            () => $"last file_list entry: {last?.ToJsonString()}\n{Describe()}{(diagnostics is null ? "" : "\n" + diagnostics())}");
        return last!;
    }

    /// <summary>Waits until the torrent is seeding (after stream_create it may still be starting).</summary>
    public Task WaitForSeedingAsync(string infoHash, TimeSpan timeLimit) =>
        Waiting.UntilAsync(
            async () => (await TorrentAsync(infoHash))["seeding"]?.GetValue<bool>() == true,
            $"our node seeds {infoHash}",
            timeLimit,
            () => Describe());

    /// <summary>The BitTorrent endpoint and the last lines of the node's log, for failure messages.</summary>
    public string Describe(int lastLines = 80)
    {
        var text = new StringBuilder();
        text.Append("--- our node (BitTorrent on ").Append(BitTorrentEndPoint).Append("), last log lines of ").Append(LogPath).Append(":\n");
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            var lines = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            text.AppendJoin('\n', lines.Skip(Math.Max(0, lines.Length - lastLines)));
        }
        catch (IOException ex)
        {
            text.Append("(no log: ").Append(ex.Message).Append(')');
        }

        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Host.DisposeAsync();
    }
}
