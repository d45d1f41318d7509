using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SmartShare.Node.Hosting;
using SmartShare.Node.Networks;
using SmartShare.Node.Settings;
using SmartShare.Node.Torrents;

namespace SmartShare.Node.Tests.Hosting;

/// <summary>The LBRY and BitTorrent networks are started, reported and stopped by the host the same way.</summary>
public sealed class NetworkServiceTests : IDisposable
{
    private readonly NodeTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Both_networks_start_through_the_host_and_status_reports_what_each_bound()
    {
        await using var node = await TestNode.StartAsync(_directory.Path);
        var torrents = node.Host.Services.GetRequiredService<TorrentManager>();

        var status = (await node.CallAsync("status"))!;

        Assert.Equal(["lbry", "bittorrent"], node.Host.Networks.Select(network => network.Name));
        var networks = status["networks"]!;
        var lbry = EndPoints(networks["lbry"]!);
        Assert.Equal(("udp", node.Host.DhtEndPoint.Port), lbry["dht"]);
        Assert.Equal(("tcp", node.Host.DhtEndPoint.Port), lbry["blob_exchange"]);
        Assert.Equal(node.Host.Dht.Engine.Id.ToString(), networks["lbry"]!["node_id"]!.GetValue<string>());
        var bittorrent = EndPoints(networks["bittorrent"]!);
        Assert.Equal(("tcp", torrents.ListenEndPoint.Port), bittorrent["peers"]);
        Assert.Equal(("udp", torrents.DhtEndPoint!.Port), bittorrent["dht"]);
        Assert.Equal(status["bittorrent"]!["peer_id"]!.GetValue<string>(), networks["bittorrent"]!["peer_id"]!.GetValue<string>());

        // The sections from before the networks section are unchanged.
        Assert.Equal(node.Host.DhtEndPoint.Port, status["dht"]!["udp_port"]!.GetValue<int>());
        Assert.Equal(node.Host.DhtEndPoint.Port, status["blob_exchange"]!["tcp_port"]!.GetValue<int>());
        Assert.Equal(torrents.ListenEndPoint.Port, status["bittorrent"]!["port"]!.GetValue<int>());
        Assert.Equal(torrents.DhtEndPoint.Port, status["bittorrent"]!["dht"]!["port"]!.GetValue<int>());
    }

    [Fact]
    public async Task Without_the_mainline_dht_the_bittorrent_network_binds_only_its_peer_listener()
    {
        // On TCP alone: with uTP (the default) the UDP port is bound for uTP peers (UtpTransportNodeTests).
        await using var node = await TestNode.StartAsync(
            _directory.Path, flags: new Dictionary<string, JsonNode?> { [NodeSettingKeys.BtDht] = false, [NodeSettingKeys.BtTransport] = "tcp" });

        var status = (await node.CallAsync("status"))!;

        var bittorrent = EndPoints(status["networks"]!["bittorrent"]!);
        Assert.Equal(["peers"], bittorrent.Keys);
        Assert.Null(status["bittorrent"]!["dht"]);
    }

    [Fact]
    public async Task Stopping_the_node_stops_every_network_and_frees_all_their_ports()
    {
        var node = await TestNode.StartAsync(_directory.Path);
        var bound = node.Host.Networks.SelectMany(network => network.EndPoints).ToList();

        await node.DisposeAsync();

        Assert.Equal(4, bound.Count);
        foreach (var endPoint in bound)
        {
            Bind(endPoint);
        }

        var log = await File.ReadAllTextAsync(_directory.File("logs/smartshare.log"));
        Assert.Contains("DHT contacts saved for the next start", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_taken_lbry_port_fails_the_start_with_the_advice_and_the_bittorrent_network_is_never_started()
    {
        using var taken = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)taken.Client.LocalEndPoint!).Port;
        await using var host = Host(new() { [NodeSettingKeys.Port] = port });

        var error = await Assert.ThrowsAsync<NodeStartException>(() => host.StartAsync(CancellationToken.None));

        Assert.Contains($"Cannot listen on UDP 127.0.0.1:{port} for the LBRY DHT", error.Message, StringComparison.Ordinal);
        Assert.Contains("Choose another port with --port or the 'port' setting.", error.Message, StringComparison.Ordinal);
        Assert.Equal(["lbry"], host.Networks.Select(network => network.Name));
    }

    [Fact]
    public async Task A_taken_bittorrent_port_fails_the_start_with_the_advice_and_the_lbry_network_started_before_is_stopped()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        await using var host = Host(new() { [NodeSettingKeys.BtPort] = port });

        var error = await Assert.ThrowsAsync<NodeStartException>(() => host.StartAsync(CancellationToken.None));

        Assert.Contains($"Cannot listen on TCP 127.0.0.1:{port} for BitTorrent peers", error.Message, StringComparison.Ordinal);
        Assert.Contains("Choose another port with --bt-port or the 'bt_port' setting.", error.Message, StringComparison.Ordinal);
        var lbry = Assert.Single(host.Networks, network => network.Name == "lbry");
        Assert.Equal(2, lbry.EndPoints.Count);
        foreach (var endPoint in lbry.EndPoints)
        {
            Bind(endPoint);
        }
    }

    [Fact]
    public async Task A_second_start_on_a_running_nodes_data_directory_stops_at_the_taken_port_and_keeps_its_token()
    {
        await using var running = await TestNode.StartAsync(_directory.Path);
        var tokenPath = _directory.File(SmartShare.Node.Http.ApiAccess.TokenFileName);
        var token = await File.ReadAllTextAsync(tokenPath);
        await using var second = Host(new() { [NodeSettingKeys.Port] = running.Host.DhtEndPoint.Port });

        var error = await Assert.ThrowsAsync<NodeStartException>(() => second.StartAsync(CancellationToken.None));

        Assert.Contains("for the LBRY DHT", error.Message, StringComparison.Ordinal);
        await second.DisposeAsync();
        Assert.Equal(token, await File.ReadAllTextAsync(tokenPath));
        Assert.True((await running.CallAsync("status"))!["is_running"]!.GetValue<bool>());
    }

    private NodeHost Host(Dictionary<string, JsonNode?> flags)
    {
        var all = new Dictionary<string, JsonNode?>(TestNode.LoopbackFlags());
        foreach (var (key, value) in flags)
        {
            all[key] = value;
        }

        return new NodeHost(new NodeHostOptions { DataDirectory = _directory.Path, Settings = NodeSettingsStore.Load(_directory.Path, all, _ => null) });
    }

    private static Dictionary<string, (string Protocol, int Port)> EndPoints(JsonNode network) =>
        network["end_points"]!.AsArray().ToDictionary(
            item => item!["role"]!.GetValue<string>(),
            item => (item!["protocol"]!.GetValue<string>(), item["port"]!.GetValue<int>()));

    // Binding the same address and port again proves the network let go of it.
    private static void Bind(NetworkEndPoint endPoint)
    {
        if (endPoint.Protocol == "udp")
        {
            using var udp = new UdpClient(endPoint.EndPoint);
            return;
        }

        var tcp = new TcpListener(endPoint.EndPoint);
        tcp.Start();
        tcp.Stop();
    }
}
