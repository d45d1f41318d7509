using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using SmartShare.Node.Client;
using SmartShare.Node.Hosting;
using SmartShare.Node.Settings;

namespace SmartShare.Node.Tests;

/// <summary>A real node on 127.0.0.1 with free ports (API and DHT port 0), its own data directory and no environment.</summary>
public sealed class TestNode : IAsyncDisposable
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false });

    private TestNode(NodeHost host, string dataDirectory)
    {
        Host = host;
        DataDirectory = dataDirectory;
        Client = new NodeApiClient(host.ApiUri, timeout: TimeSpan.FromSeconds(30));
    }

    public NodeHost Host { get; }

    public string DataDirectory { get; }

    public NodeApiClient Client { get; }

    public static IReadOnlyDictionary<string, JsonNode?> LoopbackFlags() => new Dictionary<string, JsonNode?>
    {
        [NodeSettingKeys.Api] = "http://127.0.0.1:0",
        [NodeSettingKeys.Port] = 0,
        [NodeSettingKeys.BtPort] = 0,
        [NodeSettingKeys.BindAddress] = "127.0.0.1",
        [NodeSettingKeys.AllowLan] = true,
    };

    public static async Task<TestNode> StartAsync(string dataDirectory, Action<NodeHost>? configure = null)
    {
        var settings = NodeSettingsStore.Load(dataDirectory, LoopbackFlags(), _ => null);
        var host = new NodeHost(new NodeHostOptions { DataDirectory = dataDirectory, Settings = settings });
        configure?.Invoke(host);
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await host.StartAsync(limit.Token);
        return new TestNode(host, dataDirectory);
    }

    public Task<JsonNode?> CallAsync(string method, JsonObject? parameters = null) => Client.CallAsync(method, parameters);

    /// <summary>Posts raw bytes to a path and returns the status code and the parsed JSON answer.</summary>
    public async Task<(HttpStatusCode Status, JsonObject Body)> PostRawAsync(string body, string path = "/")
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await Http.PostAsync(new Uri(Host.ApiUri, path), content);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, (JsonObject)JsonNode.Parse(text)!);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Host.DisposeAsync();
    }
}
