using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using SmartShare.Node.Client;
using SmartShare.Node.Hosting;
using SmartShare.Node.Http;
using SmartShare.Node.Settings;

namespace SmartShare.Node.Tests.Hosting;

/// <summary>
/// A node that serves no HTTP (<see cref="NodeHostOptions.ServeHttp"/> false, the CLI's one-off node): its API answers
/// calls made in its process, and nothing listens at the API address it was given, nor is a token file written.
/// </summary>
public sealed class InProcessOnlyNodeTests : IDisposable
{
    private readonly NodeTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task It_answers_in_process_and_opens_no_api_port_and_writes_no_token()
    {
        // A free port for the API setting, so a listener there could be seen.
        int apiPort;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            apiPort = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var flags = new Dictionary<string, JsonNode?>(TestNode.LoopbackFlags()) { [NodeSettingKeys.Api] = $"http://127.0.0.1:{apiPort}" };
        await using var host = new NodeHost(new NodeHostOptions
        {
            DataDirectory = _directory.Path,
            Settings = NodeSettingsStore.Load(_directory.Path, flags, _ => null),
            ServeHttp = false,
        });
        using (var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await host.StartAsync(limit.Token);
        }

        Assert.Equal(0, host.ApiUri.Port);
        using var api = new NodeApiClient(host.ApiUri, host.CreateInProcessApiHandler(), TimeSpan.FromSeconds(30), authorization: null);
        var status = await api.CallAsync("status");
        Assert.Equal(_directory.Path, status?["data_dir"]?.GetValue<string>());

        using var client = new TcpClient();
        var refused = await Assert.ThrowsAsync<SocketException>(() => client.ConnectAsync(IPAddress.Loopback, apiPort));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        Assert.False(File.Exists(_directory.File(ApiAccess.TokenFileName)));

        await host.StopAsync();
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void A_node_file_or_an_api_warm_up_is_refused_without_http(bool recordNodeFile, bool warmUp)
    {
        var options = new NodeHostOptions
        {
            DataDirectory = _directory.Path,
            Settings = NodeSettingsStore.Load(_directory.Path, TestNode.LoopbackFlags(), _ => null),
            ServeHttp = false,
            RecordNodeFile = recordNodeFile,
            WarmUp = warmUp,
        };

        Assert.Throws<ArgumentException>(() => new NodeHost(options));
    }
}
