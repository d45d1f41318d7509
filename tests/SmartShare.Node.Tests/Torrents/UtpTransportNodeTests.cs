using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SmartShare.Node.Settings;
using SmartShare.Node.Tests.Downloads;
using SmartShare.Node.Torrents;

namespace SmartShare.Node.Tests.Torrents;

/// <summary>
/// Two real nodes on 127.0.0.1 with each bt_transport: a multi-file torrent goes from one to the other over uTP (on
/// the UDP port the DHT shares) or TCP, as the two settings allow, and the peer lists say which.
/// </summary>
public sealed class UtpTransportNodeTests : IDisposable
{
    // The seeder sends at most this many KiB/s, so the download lasts long enough to see its peer listed.
    private const int SeederRate = 2048;

    private readonly NodeTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Two_nodes_on_utp_only_transfer_a_multi_file_torrent_over_utp()
    {
        await using var seeder = await StartSeederAsync("utp");
        var peerTransport = await TransferAsync(seeder, leecherTransport: "utp");
        Assert.Equal("utp", peerTransport);
        var utp = (await seeder.CallAsync("status"))!["networks"]!["bittorrent"]!["utp"]!;
        Assert.Equal(0, utp["malformed"]!.GetValue<long>());
        foreach (var counter in new[] { "packets_resent", "halvings_undone", "timeouts" })
        {
            Assert.True(utp[counter]!.GetValue<long>() >= 0, counter);
        }

        Assert.Equal("utp", (await seeder.CallAsync("settings_get"))!["bt_transport"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_node_on_both_falls_back_to_tcp_for_a_seeder_on_tcp_only()
    {
        await using var seeder = await StartSeederAsync("tcp");
        var peerTransport = await TransferAsync(seeder, leecherTransport: "both");
        Assert.Equal("tcp", peerTransport);
        Assert.Null((await seeder.CallAsync("status"))!["networks"]!["bittorrent"]!["utp"]);
    }

    [Fact]
    public async Task A_node_on_both_uses_utp_with_a_seeder_on_utp_only()
    {
        await using var seeder = await StartSeederAsync("utp");
        var peerTransport = await TransferAsync(seeder, leecherTransport: "both");
        Assert.Equal("utp", peerTransport);
    }

    [Fact]
    public async Task Without_the_dht_the_udp_port_is_still_bound_for_utp_peers_and_stopping_frees_it()
    {
        var node = await TransferNode.StartAsync("alone", _directory.File("alone"), extra: new Dictionary<string, JsonNode?> { [NodeSettingKeys.BtDht] = false });
        var network = node.Host.Networks.Single(network => network.Name == "bittorrent");
        var tcp = network.EndPoints.Single(endPoint => endPoint.Role == "peers").EndPoint;
        var udp = network.EndPoints.Single(endPoint => endPoint.Role == "utp").EndPoint;
        Assert.Equal(("tcp", "udp"), (network.EndPoints[0].Protocol, network.EndPoints[1].Protocol));
        Assert.Equal(tcp, udp);
        var status = (await node.CallAsync("status"))!["networks"]!["bittorrent"]!;
        Assert.Equal("both", status["transport"]!.GetValue<string>());
        Assert.Equal(0, status["utp"]!["connections"]!.GetValue<int>());

        await node.DisposeAsync();

        using var again = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        again.Bind(udp);
    }

    private static async Task<string> WaitForPeerTransportAsync(TransferNode node, string infoHash)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var peers = (await node.CallAsync("transfer_peers", new JsonObject { ["info_hash"] = infoHash }))!["peers"]!.AsArray();
            if (peers.Count > 0)
            {
                return peers[0]!["transport"]!.GetValue<string>();
            }

            await Task.Delay(20, timeout.Token);
        }
    }

    private static async Task WaitForCompletedAsync(TransferNode node, string infoHash)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (true)
        {
            var item = (await node.CallAsync("file_list", new JsonObject { ["info_hash"] = infoHash }))!["items"]!.AsArray().Single()!;
            var status = item["status"]!.GetValue<string>();
            if (status == "completed")
            {
                return;
            }

            if (status is "failed" or "stopped")
            {
                throw new InvalidOperationException($"{node.Name}: torrent {infoHash} {status}: {item["error"]}");
            }

            await Task.Delay(50, timeout.Token);
        }
    }

    private Task<TransferNode> StartSeederAsync(string transport) =>
        TransferNode.StartAsync("seeder", _directory.File("seeder"), extra: new Dictionary<string, JsonNode?>
        {
            [NodeSettingKeys.BtTransport] = transport,
            [NodeSettingKeys.MaxUploadRate] = SeederRate,
        });

    // Shares a folder of three files on the seeder, fetches it on a leecher and compares every file; returns the
    // transport the leecher's peer list showed for the seeder.
    private async Task<string> TransferAsync(TransferNode seeder, string leecherTransport)
    {
        await using var leecher = await TransferNode.StartAsync("leecher", _directory.File("leecher"), extra: new Dictionary<string, JsonNode?>
        {
            [NodeSettingKeys.BtTransport] = leecherTransport,
        });
        var folder = Directory.CreateDirectory(_directory.File("album")).FullName;
        Directory.CreateDirectory(Path.Combine(folder, "disc 2"));
        string[] files =
        [
            TransferNode.WriteRandomFile(Path.Combine(folder, "a.flac"), 1_700_001, seed: 11),
            TransferNode.WriteRandomFile(Path.Combine(folder, "b.flac"), 16_385, seed: 12),
            TransferNode.WriteRandomFile(Path.Combine(folder, "disc 2", "c.flac"), 2_300_000, seed: 13),
        ];
        var torrentPath = _directory.File("album.torrent");
        var shared = await seeder.CallAsync("stream_create", new JsonObject { ["file_path"] = folder, ["torrent"] = true, ["torrent_path"] = torrentPath });
        var infoHash = shared!["info_hash"]!.GetValue<string>();
        var seederPort = seeder.Host.Services.GetRequiredService<TorrentManager>().ListenEndPoint.Port;

        await leecher.CallAsync("get", new JsonObject { ["uri"] = torrentPath, ["peers"] = new JsonArray(new IPEndPoint(IPAddress.Loopback, seederPort).ToString()) });
        var transport = await WaitForPeerTransportAsync(leecher, infoHash);
        await WaitForCompletedAsync(leecher, infoHash);
        foreach (var file in files)
        {
            var copy = Path.Combine(leecher.Downloads, "album", Path.GetRelativePath(folder, file));
            Assert.Equal(await File.ReadAllBytesAsync(file), await File.ReadAllBytesAsync(copy));
        }

        return transport;
    }
}
