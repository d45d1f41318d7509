using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SmartShare.Lbry.Downloads;
using SmartShare.Node.Client;
using SmartShare.Node.Downloads;
using SmartShare.Node.Hosting;
using SmartShare.Node.Settings;

namespace SmartShare.Node.Tests.Downloads;

/// <summary>A real node on 127.0.0.1 for transfer tests: its own data and download folders, optional bootstrap.</summary>
public sealed class TransferNode : IAsyncDisposable
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(60) };

    private TransferNode(string name, NodeHost host, string root)
    {
        Name = name;
        Host = host;
        Root = root;
        Client = new NodeApiClient(host.ApiUri, timeout: TimeSpan.FromSeconds(60));
    }

    public string Name { get; }

    public NodeHost Host { get; }

    public string Root { get; }

    public string Downloads => Path.Combine(Root, "downloads");

    public NodeApiClient Client { get; }

    public DownloadManager Manager => Host.Services.GetRequiredService<DownloadManager>();

    /// <summary>The blob-exchange (TCP) address, the same port as the DHT's.</summary>
    public IPEndPoint BlobEndPoint => new(IPAddress.Loopback, Host.DhtEndPoint.Port);

    public IPEndPoint DhtEndPoint => new(IPAddress.Loopback, Host.DhtEndPoint.Port);

    /// <param name="transient">A node the CLI runs for one command (<see cref="NodeHostOptions.Transient"/>).</param>
    public static async Task<TransferNode> StartAsync(
        string name, string root, IPEndPoint? bootstrap = null, IReadOnlyDictionary<string, JsonNode?>? extra = null, bool transient = false)
    {
        Directory.CreateDirectory(root);
        var flags = new Dictionary<string, JsonNode?>(TestNode.LoopbackFlags())
        {
            [NodeSettingKeys.DownloadDirectory] = Path.Combine(root, "downloads"),
        };
        if (bootstrap is not null)
        {
            flags[NodeSettingKeys.Bootstrap] = new JsonArray(bootstrap.ToString());
        }

        foreach (var (key, value) in extra ?? new Dictionary<string, JsonNode?>())
        {
            flags[key] = value;
        }

        var settings = NodeSettingsStore.Load(Path.Combine(root, "data"), flags, _ => null);
        var host = new NodeHost(new NodeHostOptions { DataDirectory = Path.Combine(root, "data"), Settings = settings, Transient = transient });
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await host.StartAsync(limit.Token);
        var node = new TransferNode(name, host, root);

        // Short limits so a failing test fails in seconds, not minutes.
        node.Manager.DownloadOptions = new StreamDownloadOptions
        {
            DescriptorTimeout = TimeSpan.FromSeconds(20),
            StallTimeout = TimeSpan.FromSeconds(20),
            PeerSearchInterval = TimeSpan.FromSeconds(1),
        };
        return node;
    }

    public Task<JsonNode?> CallAsync(string method, JsonObject? parameters = null) => Client.CallAsync(method, parameters);

    public async Task<string> ShareAsync(string path)
    {
        var result = await CallAsync("stream_create", new JsonObject { ["file_path"] = path });
        return result!["sd_hash"]!.GetValue<string>();
    }

    public async Task<JsonObject> FileAsync(string sdHash)
    {
        var list = await CallAsync("file_list", new JsonObject { ["sd_hash"] = sdHash });
        return (JsonObject)list!["items"]!.AsArray().Single()!;
    }

    /// <summary>Waits until the file's status is <paramref name="status"/> (failing at once on "failed" unless that is wanted).</summary>
    public async Task<JsonObject> WaitForStatusAsync(string sdHash, string status, TimeSpan? limit = null)
    {
        using var timeout = new CancellationTokenSource(limit ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var file = await FileAsync(sdHash);
            var current = file["status"]!.GetValue<string>();
            if (current == status)
            {
                return file;
            }

            if (current == "failed")
            {
                throw new InvalidOperationException($"{Name}: the download of {sdHash} failed: {file["error"]}");
            }

            await Task.Delay(50, timeout.Token);
        }
    }

    public async Task<HttpResponseMessage> GetStreamAsync(string sdHash, string? range = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Host.ApiUri, $"/stream/{sdHash}"));
        if (range is not null)
        {
            request.Headers.TryAddWithoutValidation("Range", range);
        }

        return await Http.SendAsync(request);
    }

    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    public static string WriteRandomFile(string path, long length, int seed)
    {
        var block = new byte[1 << 20];
        var random = new Random(seed);
        using var stream = File.Create(path);
        for (long written = 0; written < length; written += block.Length)
        {
            random.NextBytes(block);
            stream.Write(block, 0, (int)Math.Min(block.Length, length - written));
        }

        return path;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Host.DisposeAsync();
    }
}
