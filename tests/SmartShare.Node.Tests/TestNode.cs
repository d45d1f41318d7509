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
        Client = new NodeApiClient(host.ApiUri, timeout: TimeSpan.FromSeconds(30), authorization: NodeApiCredentials.For(dataDirectory, host.ApiUri, _ => null));
    }

    public NodeHost Host { get; }

    public string DataDirectory { get; }

    public NodeApiClient Client { get; }

    public static IReadOnlyDictionary<string, JsonNode?> LoopbackFlags() => SmartShare.Tests.Shared.LoopbackNodeFlags.Create();

    public static async Task<TestNode> StartAsync(
        string dataDirectory, Action<NodeHost>? configure = null, IReadOnlyDictionary<string, JsonNode?>? flags = null, bool warmUp = false)
    {
        var allFlags = new Dictionary<string, JsonNode?>(LoopbackFlags());
        foreach (var (key, value) in flags ?? new Dictionary<string, JsonNode?>())
        {
            allFlags[key] = value;
        }

        var settings = NodeSettingsStore.Load(dataDirectory, allFlags, _ => null);
        var host = new NodeHost(new NodeHostOptions { DataDirectory = dataDirectory, Settings = settings, WarmUp = warmUp });
        configure?.Invoke(host);
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await host.StartAsync(limit.Token);
        return new TestNode(host, dataDirectory);
    }

    /// <summary>A node whose API needs <paramref name="password"/> (hashed with fewer PBKDF2 rounds, to start fast).</summary>
    public static Task<TestNode> StartWithPasswordAsync(string dataDirectory, string password) =>
        StartAsync(dataDirectory, flags: new Dictionary<string, JsonNode?> { [NodeSettingKeys.ApiPasswordHash] = SmartShare.Node.Http.ApiPassword.Hash(password, 100_000) });

    public Task<JsonNode?> CallAsync(string method, JsonObject? parameters = null) => Client.CallAsync(method, parameters);

    /// <summary>Posts raw bytes to a path and returns the status code and the parsed JSON answer.</summary>
    public async Task<(HttpStatusCode Status, JsonObject Body)> PostRawAsync(string body, string path = "/")
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await Http.PostAsync(new Uri(Host.ApiUri, path), content);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, (JsonObject)JsonNode.Parse(text)!);
    }

    /// <summary>Sends a hand-made request (any headers, Host included) to the node and returns the answer.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.RequestUri is { IsAbsoluteUri: false } relative)
        {
            request.RequestUri = new Uri(Host.ApiUri, relative);
        }

        return await Http.SendAsync(request);
    }

    /// <summary>A request to <paramref name="path"/> on the node's API address.</summary>
    public HttpRequestMessage Request(HttpMethod method, string path, string? json = null, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(method, new Uri(Host.ApiUri, path));
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8);
            request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
        }

        return request;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Host.DisposeAsync();
    }
}
