using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SmartShare.Node.Api;
using SmartShare.Node.Client;
using SmartShare.Node.Hosting;
using SmartShare.Node.Settings;

namespace SmartShare.Node.Tests.Hosting;

public sealed class NodeHostTests : IDisposable
{
    private static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(30);

    private readonly NodeTestDirectory _directory = new();

    [Fact]
    public async Task Stopping_releases_the_api_and_dht_ports_and_saves_a_log()
    {
        var node = await TestNode.StartAsync(_directory.Path);
        var apiPort = node.Host.ApiUri.Port;
        var dhtPort = node.Host.DhtEndPoint.Port;

        await node.DisposeAsync();

        using var tcp = new TcpListener(IPAddress.Loopback, apiPort);
        tcp.Start();
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, dhtPort));
        Assert.Contains("API on http://127.0.0.1:", await File.ReadAllTextAsync(_directory.File("logs/smartshare.log")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_stop_method_answers_and_then_shuts_the_node_down()
    {
        await using var node = await TestNode.StartAsync(_directory.Path);
        var waiting = node.Host.WaitForShutdownAsync(CancellationToken.None);

        var answer = await node.CallAsync("stop");

        Assert.True(answer!["stopping"]!.GetValue<bool>());
        await waiting.WaitAsync(TimeLimit);
        Assert.False(await node.Client.IsRunningAsync());
    }

    [Fact]
    public async Task Cancelling_the_wait_stops_the_node()
    {
        await using var node = await TestNode.StartAsync(_directory.Path);
        using var cancel = new CancellationTokenSource();
        var waiting = node.Host.WaitForShutdownAsync(cancel.Token);

        await cancel.CancelAsync();
        await waiting.WaitAsync(TimeLimit);

        await Assert.ThrowsAsync<NodeNotRunningException>(() => node.CallAsync("status"));
    }

    [Fact]
    public async Task Extra_rpc_providers_status_sections_and_http_endpoints_plug_in_before_start()
    {
        await using var node = await TestNode.StartAsync(_directory.Path, host => host
            .ConfigureServices(services =>
            {
                services.AddSingleton<IRpcMethodProvider, EchoMethods>();
                services.AddSingleton<IStatusContributor, FakeBlobExchangeStatus>();
            })
            .ConfigureEndpoints(endpoints => endpoints.MapGet("/extra/{name}", (string name) => Results.Text($"extra {name}"))));

        var echoed = await node.CallAsync("echo", new JsonObject { ["text"] = "hi" });
        var status = await node.CallAsync("status");
        using var http = new HttpClient();
        var stream = await http.GetStringAsync(new Uri(node.Host.ApiUri, "/extra/abc"));

        Assert.Equal("hi", echoed!.GetValue<string>());
        Assert.Equal(3333, status!["blob_exchange"]!["tcp_port"]!.GetValue<int>());
        Assert.Equal("extra abc", stream);
        Assert.Throws<InvalidOperationException>(() => node.Host.ConfigureServices(_ => { }));
    }

    [Fact]
    public void An_api_address_is_localhost_or_an_ip_literal_never_a_name()
    {
        Assert.Equal((IPAddress.Loopback, 5279), NodeHost.ApiEndPoint("http://localhost:5279"));
        Assert.Equal((IPAddress.Any, 5279), NodeHost.ApiEndPoint("http://0.0.0.0:5279"));
        var error = Assert.Throws<NodeSettingsException>(() => NodeHost.ApiEndPoint("http://example.com:5279"));
        Assert.Contains("IP address", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_api_beyond_loopback_without_a_password_refuses_to_start_and_binds_nothing()
    {
        var port = FreeTcpPort();
        var flags = new Dictionary<string, JsonNode?>(TestNode.LoopbackFlags()) { [NodeSettingKeys.Api] = $"http://0.0.0.0:{port}" };
        await using var host = new NodeHost(new NodeHostOptions
        {
            DataDirectory = _directory.Path,
            Settings = NodeSettingsStore.Load(_directory.Path, flags, _ => null),
        });

        var error = await Assert.ThrowsAsync<NodeSettingsException>(() => host.StartAsync(CancellationToken.None));

        Assert.Contains("with no password", error.Message, StringComparison.Ordinal);
        Assert.Contains("smartshare password set", error.Message, StringComparison.Ordinal);
        using var probe = new TcpListener(IPAddress.Loopback, port);
        probe.Start();
    }

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task A_taken_api_port_fails_with_a_sentence_and_releases_the_dht_port()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var flags = new Dictionary<string, JsonNode?>(TestNode.LoopbackFlags()) { [NodeSettingKeys.Api] = $"http://127.0.0.1:{port}" };
        await using var host = new NodeHost(new NodeHostOptions
        {
            DataDirectory = _directory.Path,
            Settings = NodeSettingsStore.Load(_directory.Path, flags, _ => null),
        });

        var error = await Assert.ThrowsAsync<NodeStartException>(() => host.StartAsync(CancellationToken.None));

        Assert.Contains($"Cannot listen for the API on http://127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_client_says_no_node_is_running_when_nothing_listens()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        using var client = new NodeApiClient(new Uri($"http://127.0.0.1:{port}"));

        var error = await Assert.ThrowsAsync<NodeNotRunningException>(() => client.CallAsync("status"));

        Assert.Equal($"No SmartShare node is running at http://127.0.0.1:{port}; start one with `smartshare start`.", error.Message);
        Assert.False(await client.IsRunningAsync());
    }

    public void Dispose() => _directory.Dispose();

    private sealed class EchoMethods : IRpcMethodProvider
    {
        public void Register(JsonRpcMethods methods) =>
            methods.Add("echo", "Answers its text.", (RpcParams parameters, CancellationToken _) => Task.FromResult<JsonNode?>(parameters.GetString("text")));
    }

    private sealed class FakeBlobExchangeStatus : IStatusContributor
    {
        public string Section => "blob_exchange";

        public JsonNode? Describe() => new JsonObject { ["tcp_port"] = 3333 };
    }
}
