using System.Text.Json.Nodes;
using SmartShare.Node.Client;
using SmartShare.Node.Hosting;
using SmartShare.Node.Settings;

namespace SmartShare.Web.Tests;

/// <summary>A real node on 127.0.0.1 with free ports and its own data directory, for a browser to talk to.</summary>
public sealed class WebNode : IAsyncDisposable
{
    private WebNode(NodeHost host, string root)
    {
        Host = host;
        Root = root;
        Client = new NodeApiClient(host.ApiUri, timeout: TimeSpan.FromSeconds(30), authorization: NodeApiCredentials.For(host.DataDirectory, host.ApiUri, _ => null));
    }

    public NodeHost Host { get; }

    /// <summary>A folder for the test's own files, beside the node's data directory.</summary>
    public string Root { get; }

    public NodeApiClient Client { get; }

    /// <summary>The API's origin, such as http://127.0.0.1:40123.</summary>
    public string Origin => Host.ApiUri.GetLeftPart(UriPartial.Authority);

    /// <param name="configure">Changes to the start-up flags, such as an upload limit.</param>
    public static async Task<WebNode> StartAsync(Action<Dictionary<string, JsonNode?>>? configure = null)
    {
        var root = Path.Combine(Path.GetTempPath(), "smartshare-web-tests-" + Guid.NewGuid().ToString("N"));
        var data = Path.Combine(root, "data");
        Directory.CreateDirectory(data);
        var flags = SmartShare.Tests.Shared.LoopbackNodeFlags.Create(Path.Combine(root, "downloads"));
        configure?.Invoke(flags);
        var host = new NodeHost(new NodeHostOptions { DataDirectory = data, Settings = NodeSettingsStore.Load(data, flags, _ => null) });
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await host.StartAsync(limit.Token);
        return new WebNode(host, root);
    }

    /// <summary>The sd hashes and info hashes the node lists.</summary>
    public async Task<IReadOnlyList<string>> ListedAsync()
    {
        var list = (JsonObject)(await Client.CallAsync("file_list"))!;
        return [.. list["items"]!.AsArray().Select(item => (item!["sd_hash"] ?? item["info_hash"])!.GetValue<string>())];
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Host.DisposeAsync();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A log file still closing; the temp folder is cleaned eventually.
        }
    }
}
