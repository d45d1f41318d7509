using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using SmartShare.Node.Client;
using SmartShare.Node.Hosting;
using SmartShare.Node.Settings;
using SmartShare.Node.Tests.Downloads;
using Xunit.Abstractions;

namespace SmartShare.Node.Tests.Hosting;

/// <summary>
/// Both address families: left at its default <c>bind</c>, the node listens on IPv6 too (blob exchange, BitTorrent
/// peers, the Mainline DHT), with the same port numbers; a taken IPv6 port is a warning, not a failed start; an
/// LBRY stream downloads over a [::1] contact. Tests return early (saying why) on a machine without IPv6 loopback.
/// </summary>
public sealed class Ipv6ListenTests(ITestOutputHelper output) : IDisposable
{
    private readonly NodeTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task By_default_every_listener_binds_ipv6_too_with_the_ipv4_port_number_and_status_says_so()
    {
        if (!Ipv6Loopback.Available(output))
        {
            return;
        }

        await using var host = DefaultBindHost([]);
        await host.StartAsync(CancellationToken.None);

        var lbry = host.Networks.Single(network => network.Name == "lbry").EndPoints;
        var bittorrent = host.Networks.Single(network => network.Name == "bittorrent").EndPoints;
        var lbryPort = lbry[0].EndPoint.Port;
        var btPort = bittorrent[0].EndPoint.Port;
        Assert.Equal(
            [("dht", "udp", "0.0.0.0", lbryPort), ("blob_exchange", "tcp", "0.0.0.0", lbryPort), ("blob_exchange", "tcp", "::", lbryPort)],
            lbry.Select(Row));
        Assert.Equal(
            [("peers", "tcp", "0.0.0.0", btPort), ("dht", "udp", "0.0.0.0", btPort), ("peers", "tcp", "::", btPort), ("dht", "udp", "::", btPort)],
            bittorrent.Select(Row));

        using var client = Client(host);
        var status = (await client.CallAsync("status"))!;
        Assert.Equal("listening", status["networks"]!["lbry"]!["ipv6"]!["state"]!.GetValue<string>());
        Assert.Equal("listening", status["networks"]!["bittorrent"]!["ipv6"]!["state"]!.GetValue<string>());
        var families = new[] { "lbry", "bittorrent" }
            .SelectMany(network => status["networks"]![network]!["end_points"]!.AsArray())
            .Select(endPoint => (endPoint!["address"]!.GetValue<string>(), endPoint["family"]!.GetValue<string>()))
            .ToList();
        Assert.Equal(7, families.Count);
        Assert.All(families, pair => Assert.Equal(pair.Item1 == "::" ? "ipv6" : "ipv4", pair.Item2));
        Assert.NotNull(status["bittorrent"]!["dht"]!["nodes6"]);

        // Something really accepts there over IPv6.
        foreach (var port in new[] { lbryPort, btPort })
        {
            using var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(new IPEndPoint(IPAddress.IPv6Loopback, port));
        }
    }

    [Fact]
    public async Task A_taken_ipv6_port_leaves_the_node_on_ipv4_with_a_warning_and_status_naming_each_socket()
    {
        if (!Ipv6Loopback.Available(output))
        {
            return;
        }

        // Another program holds the BitTorrent port on IPv6 only (TCP and UDP); IPv4 is free.
        var port = FreeOnBothFamilies();
        using var tcp = Ipv6Only(SocketType.Stream, ProtocolType.Tcp, port);
        tcp.Listen();
        using var udp = Ipv6Only(SocketType.Dgram, ProtocolType.Udp, port);
        await using var host = DefaultBindHost(new() { [NodeSettingKeys.BtPort] = port });

        await host.StartAsync(CancellationToken.None);

        var bittorrent = host.Networks.Single(network => network.Name == "bittorrent").EndPoints;
        Assert.Equal([("peers", "tcp", "0.0.0.0", port), ("dht", "udp", "0.0.0.0", port)], bittorrent.Select(Row));
        using var client = Client(host);
        var ipv6 = (await client.CallAsync("status"))!["networks"]!["bittorrent"]!["ipv6"]!;
        Assert.Equal("unavailable", ipv6["state"]!.GetValue<string>());
        var problems = ipv6["problems"]!.AsArray().Select(problem => problem!.GetValue<string>()).ToList();
        Assert.Equal(2, problems.Count);
        Assert.StartsWith($"TCP [::]:{port} for BitTorrent peers: ", problems[0], StringComparison.Ordinal);
        Assert.StartsWith($"UDP [::]:{port} for the Mainline DHT: ", problems[1], StringComparison.Ordinal);

        // The LBRY side, on another port, still has its IPv6 listener.
        Assert.Contains(host.Networks.Single(network => network.Name == "lbry").EndPoints, endPoint => endPoint.EndPoint.AddressFamily == AddressFamily.InterNetworkV6);
        await host.StopAsync();
        var log = await File.ReadAllTextAsync(Path.Combine(_directory.Path, "logs", "smartshare.log"));
        Assert.Contains($"Not listening on IPv6 for TCP [::]:{port} for BitTorrent peers", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_bind_ipv6_any_a_taken_ipv6_port_fails_the_start_with_a_sentence()
    {
        if (!Ipv6Loopback.Available(output))
        {
            return;
        }

        var port = FreeOnBothFamilies();
        using var tcp = Ipv6Only(SocketType.Stream, ProtocolType.Tcp, port);
        tcp.Listen();
        await using var host = DefaultBindHost(new() { [NodeSettingKeys.BindAddress] = "::", [NodeSettingKeys.BtPort] = port });

        var error = await Assert.ThrowsAsync<NodeStartException>(() => host.StartAsync(CancellationToken.None));

        Assert.StartsWith($"Cannot listen on TCP [::]:{port} for BitTorrent peers: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("The 'bind' setting asks for IPv6 (::)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_lbry_stream_downloads_from_a_node_bound_to_ipv6_loopback_through_its_smartshare_contact()
    {
        if (!Ipv6Loopback.Available(output))
        {
            return;
        }

        var ipv6Only = new Dictionary<string, JsonNode?> { [NodeSettingKeys.BindAddress] = "::1" };
        await using var seeder = await TransferNode.StartAsync("seeder", _directory.File("seeder"), extra: ipv6Only);
        await using var leecher = await TransferNode.StartAsync("leecher", _directory.File("leecher"));
        var source = TransferNode.WriteRandomFile(_directory.File("talk.mp3"), 3 * 1024 * 1024, seed: 6);
        var sharePath = _directory.File("talk.smartshare");
        var shared = (JsonObject)(await seeder.CallAsync("stream_create", new JsonObject { ["file_path"] = source, ["private"] = true, ["smartshare_path"] = sharePath }))!;
        var sdHash = shared["sd_hash"]!.GetValue<string>();
        var contact = Assert.Single(SmartShare.Node.Shares.SmartShareFileReader.Read(sharePath).Contacts);
        Assert.Equal($"[::1]:{seeder.Host.DhtEndPoint.Port}", contact.Blob?.ToString());
        Assert.All(seeder.Host.Networks.SelectMany(network => network.EndPoints), endPoint => Assert.Equal(IPAddress.IPv6Loopback, endPoint.EndPoint.Address));

        await leecher.CallAsync("get", new JsonObject { ["uri"] = sharePath });
        var done = await leecher.WaitForStatusAsync(sdHash, "completed");

        Assert.Equal(TransferNode.Sha256(source), TransferNode.Sha256(done["download_path"]!.GetValue<string>()));
    }

    private NodeApiClient Client(NodeHost host) =>
        new(host.ApiUri, timeout: TimeSpan.FromSeconds(30), authorization: NodeApiCredentials.For(_directory.Path, host.ApiUri, _ => null));

    private static (string, string, string, int) Row(Networks.NetworkEndPoint endPoint) =>
        (endPoint.Role, endPoint.Protocol, endPoint.EndPoint.Address.ToString(), endPoint.EndPoint.Port);

    // The default bind (no bind flag): 0.0.0.0 and, where it can, ::. Ports 0 unless a flag says otherwise.
    private NodeHost DefaultBindHost(Dictionary<string, JsonNode?> flags)
    {
        var all = new Dictionary<string, JsonNode?>(TestNode.LoopbackFlags());
        all.Remove(NodeSettingKeys.BindAddress);
        foreach (var (key, value) in flags)
        {
            all[key] = value;
        }

        return new NodeHost(new NodeHostOptions { DataDirectory = _directory.Path, Settings = NodeSettingsStore.Load(_directory.Path, all, _ => null) });
    }

    private static Socket Ipv6Only(SocketType type, ProtocolType protocol, int port)
    {
        var socket = new Socket(AddressFamily.InterNetworkV6, type, protocol) { DualMode = false };
        socket.Bind(new IPEndPoint(IPAddress.IPv6Any, port));
        return socket;
    }

    private static int FreeOnBothFamilies()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            probe.Bind(new IPEndPoint(IPAddress.Any, 0));
            var port = ((IPEndPoint)probe.LocalEndPoint!).Port;
            try
            {
                using var udp4 = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                udp4.Bind(new IPEndPoint(IPAddress.Any, port));
                using var tcp6 = Ipv6Only(SocketType.Stream, ProtocolType.Tcp, port);
                using var udp6 = Ipv6Only(SocketType.Dgram, ProtocolType.Udp, port);
                return port;
            }
            catch (SocketException)
            {
                // Taken somewhere: try another.
            }
        }

        throw new InvalidOperationException("Found no port free on TCP and UDP in both families.");
    }
}

/// <summary>Whether this machine can bind IPv6 loopback; when it cannot, says so in the test output.</summary>
internal static class Ipv6Loopback
{
    public static bool Available(ITestOutputHelper output)
    {
        try
        {
            using var probe = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
            probe.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            return true;
        }
        catch (SocketException ex)
        {
            output.WriteLine($"Skipped: this machine cannot bind IPv6 loopback [::1] ({ex.Message}).");
            return false;
        }
    }
}
