using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SmartShare.BitTorrent;
using SmartShare.Node.Reachability;
using SmartShare.Node.Settings;
using SmartShare.Node.Shares;

namespace SmartShare.Node.Tests.Reachability;

public sealed class ShareContactsNodeTests : IDisposable
{
    private readonly NodeTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_share_names_the_mapped_address_first_then_the_lan_and_no_ipv6_while_the_node_listens_on_ipv4_only()
    {
        var mappings = new FakePortMappings();
        await using var node = await TestNode.StartAsync(
            _directory.Path,
            host => host.ConfigureServices(services => services.AddSingleton<IPortMappings>(mappings)),
            new Dictionary<string, JsonNode?> { [NodeSettingKeys.BindAddress] = "0.0.0.0" });
        var lbryPort = node.Host.DhtEndPoint.Port;
        var btPort = node.Host.Services.GetRequiredService<Networks.BitTorrentNetwork>().Client.LocalEndPoint.Port;
        mappings.Current =
        [
            new PortMapping("udp", lbryPort, new IPEndPoint(IPAddress.Parse("11.77.0.2"), 40001), "nat-pmp", DateTimeOffset.MaxValue),
            new PortMapping("tcp", lbryPort, new IPEndPoint(IPAddress.Parse("11.77.0.2"), 40002), "nat-pmp", DateTimeOffset.MaxValue),
            new PortMapping("tcp", btPort, new IPEndPoint(IPAddress.Parse("11.77.0.2"), 40003), "nat-pmp", DateTimeOffset.MaxValue),
        ];

        // The machine as this test pretends it is: one LAN address of each family. And peers that agree on an
        // external IPv6 address: the node listens on IPv4 only, so neither may be named.
        node.Host.Services.GetRequiredService<ShareContacts>().InterfaceAddresses = () => [IPAddress.Parse("2a00:1450:4001::20"), IPAddress.Parse("192.168.77.5")];
        var sink = node.Host.Services.GetRequiredService<IExternalAddressSink>();
        sink.Report(IPAddress.Parse("2a00:1450:4001::99"), ExternalAddressSource.MainlineDht, IPAddress.Parse("2a01:1::1"));
        sink.Report(IPAddress.Parse("2a00:1450:4001::99"), ExternalAddressSource.PeerHandshake, IPAddress.Parse("2a02:2::1"));

        var source = _directory.File("clip.bin");
        await File.WriteAllBytesAsync(source, new byte[100_000]);
        var sharePath = _directory.File("clip.smartshare");
        var shared = await node.CallAsync("stream_create", new JsonObject
        {
            ["file_path"] = source,
            ["smartshare_path"] = sharePath,
            ["torrent"] = true,
            ["torrent_path"] = _directory.File("clip.torrent"),
        });

        var file = SmartShareFileReader.Read(sharePath);
        Assert.Equal(
            [
                new SmartShareContact(new SmartShareEndpoint("11.77.0.2", 40001), new SmartShareEndpoint("11.77.0.2", 40002)),
                new SmartShareContact(new SmartShareEndpoint("192.168.77.5", lbryPort), new SmartShareEndpoint("192.168.77.5", lbryPort)),
            ],
            file.Contacts);
        Assert.Equal([new SmartShareEndpoint("11.77.0.2", 40003), new SmartShareEndpoint("192.168.77.5", btPort)], file.BitTorrent!.Peers);
        var magnet = MagnetLink.Parse(shared!["magnet"]!.GetValue<string>());
        Assert.Equal([IPEndPoint.Parse("11.77.0.2:40003"), new IPEndPoint(IPAddress.Parse("192.168.77.5"), btPort)], magnet.Peers);
        Assert.DoesNotContain(':', string.Join(",", file.Contacts.Select(contact => contact.Blob!.Host)));

        // status shows the voted IPv6 address all the same: it is known, only not advertised.
        var status = await node.CallAsync("status");
        Assert.Equal("2a00:1450:4001::99", status!["external_address"]!["ipv6"]!["address"]!.GetValue<string>());
        Assert.Null(status["external_address"]!["ipv4"]);
    }

    [Fact]
    public async Task The_advertise_setting_overrides_the_mapping_and_a_shares_own_advertise_overrides_the_setting()
    {
        var mappings = new FakePortMappings();
        await using var node = await TestNode.StartAsync(
            _directory.Path,
            host => host.ConfigureServices(services => services.AddSingleton<IPortMappings>(mappings)),
            new Dictionary<string, JsonNode?> { [NodeSettingKeys.Advertise] = new JsonArray("home.example.org:7000") });
        var lbryPort = node.Host.DhtEndPoint.Port;
        mappings.Current = [new PortMapping("tcp", lbryPort, new IPEndPoint(IPAddress.Parse("11.77.0.2"), 40002), "upnp", DateTimeOffset.MaxValue)];
        var first = _directory.File("a.bin");
        var second = _directory.File("b.bin");
        await File.WriteAllBytesAsync(first, new byte[1000]);
        await File.WriteAllBytesAsync(second, new byte[2000]);

        var bySetting = await node.CallAsync("stream_create", new JsonObject { ["file_path"] = first });
        var byShare = await node.CallAsync("stream_create", new JsonObject { ["file_path"] = second, ["advertise"] = new JsonArray("11.1.1.1") });

        Assert.Equal(["home.example.org:7000"], bySetting!["advertised"]!.AsArray().Select(item => item!.GetValue<string>()));
        Assert.Equal([$"11.1.1.1:{lbryPort}"], byShare!["advertised"]!.AsArray().Select(item => item!.GetValue<string>()));
    }

    private sealed class FakePortMappings : IPortMappings
    {
        public IReadOnlyList<PortMapping> Current { get; set; } = [];
    }
}
