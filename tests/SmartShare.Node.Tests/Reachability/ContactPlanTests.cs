using System.Net;
using SmartShare.Node.Reachability;
using SmartShare.Node.Shares;

namespace SmartShare.Node.Tests.Reachability;

public class ContactPlanTests
{
    private static readonly DateTimeOffset Later = DateTimeOffset.MaxValue;
    private static readonly IPAddress Lan = IPAddress.Parse("192.168.1.20");
    private static readonly IPAddress LanV6 = IPAddress.Parse("2a00:1450:4001::20");
    private static readonly IPEndPoint AnyV4 = new(IPAddress.Any, 4444);

    private static ContactInputs Lbry(params PortMapping[] mappings) => new()
    {
        TcpPort = 4444,
        UdpPort = 4444,
        Mappings = mappings,
        BoundTcp = [AnyV4],
        BoundUdp = [AnyV4],
        Interfaces = [LanV6, Lan],
    };

    private static PortMapping Map(string protocol, int internalPort, string external) =>
        new(protocol, internalPort, IPEndPoint.Parse(external), "nat-pmp", Later);

    private static SmartShareContact Contact(string? dht, string? blob) =>
        new(dht is null ? null : SmartShareEndpoint.Parse(dht), blob is null ? null : SmartShareEndpoint.Parse(blob));

    [Fact]
    public void The_mapped_address_comes_first_with_each_protocols_own_external_port_then_the_lan()
    {
        var contacts = ContactPlan.Order(Lbry(Map("udp", 4444, "11.77.0.2:50001"), Map("tcp", 4444, "11.77.0.2:50002"), Map("tcp", 6881, "11.77.0.2:6881")) with
        {
            External = [IPAddress.Parse("11.77.0.2")],
        });

        // The voted address is the mapped one: it is not named again with the unmapped port.
        Assert.Equal([Contact("11.77.0.2:50001", "11.77.0.2:50002"), Contact("192.168.1.20:4444", "192.168.1.20:4444")], contacts);
    }

    [Fact]
    public void A_tcp_only_mapping_names_no_dht_endpoint_there()
    {
        var contacts = ContactPlan.Order(Lbry(Map("tcp", 4444, "11.77.0.2:4444")));

        Assert.Equal(Contact(null, "11.77.0.2:4444"), contacts[0]);
        Assert.Equal(2, contacts.Count);
    }

    [Fact]
    public void Without_a_mapping_the_voted_address_comes_first_with_our_own_port()
    {
        var contacts = ContactPlan.Order(Lbry() with { External = [IPAddress.Parse("11.77.0.2"), IPAddress.Parse("2a00:1450:4001::99")] });

        Assert.Equal([Contact("11.77.0.2:4444", "11.77.0.2:4444"), Contact("192.168.1.20:4444", "192.168.1.20:4444")], contacts);
    }

    [Fact]
    public void A_mapping_to_a_private_address_is_skipped_as_double_nat_and_other_ports_mappings_are_ignored()
    {
        var contacts = ContactPlan.Order(Lbry(Map("tcp", 4444, "10.0.0.5:4444"), Map("udp", 4445, "11.77.0.2:4445")));

        Assert.Equal([Contact("192.168.1.20:4444", "192.168.1.20:4444")], contacts);
    }

    [Fact]
    public void IPv6_is_named_only_when_the_node_listens_on_it()
    {
        var v4Only = ContactPlan.Order(Lbry());
        Assert.DoesNotContain(v4Only, contact => contact.Blob!.Host.Contains(':', StringComparison.Ordinal));

        // A dual-stack socket on :: takes both families; IPv4 still comes first.
        var dual = ContactPlan.Order(Lbry() with { BoundTcp = [new IPEndPoint(IPAddress.IPv6Any, 4444)], BoundUdp = [new IPEndPoint(IPAddress.IPv6Any, 4444)] });
        Assert.Equal([Contact("192.168.1.20:4444", "192.168.1.20:4444"), Contact("[2a00:1450:4001::20]:4444", "[2a00:1450:4001::20]:4444")], dual);

        // TCP on both families but the DHT on IPv4 only: the IPv6 contact has no DHT endpoint.
        var split = ContactPlan.Order(Lbry() with { BoundTcp = [AnyV4, new IPEndPoint(IPAddress.IPv6Any, 4444)] });
        Assert.Equal(Contact(null, "[2a00:1450:4001::20]:4444"), split[1]);
    }

    [Fact]
    public void Loopback_only_when_bound_to_it_and_a_bound_address_replaces_the_interfaces()
    {
        var interfacesWithLoopback = ContactPlan.Order(Lbry() with { Interfaces = [IPAddress.Loopback, Lan] });
        Assert.Equal([Contact("192.168.1.20:4444", "192.168.1.20:4444")], interfacesWithLoopback);

        var loopbackBound = ContactPlan.Order(Lbry() with { BoundTcp = [new IPEndPoint(IPAddress.Loopback, 4444)], BoundUdp = [new IPEndPoint(IPAddress.Loopback, 4444)] });
        Assert.Equal([Contact("127.0.0.1:4444", "127.0.0.1:4444")], loopbackBound);

        var mappedAndBound = ContactPlan.Order(Lbry(Map("tcp", 4444, "11.77.0.2:4444"), Map("udp", 4444, "11.77.0.2:4444")) with
        {
            BoundTcp = [new IPEndPoint(Lan, 4444)],
            BoundUdp = [new IPEndPoint(Lan, 4444)],
        });
        Assert.Equal([Contact("11.77.0.2:4444", "11.77.0.2:4444"), Contact("192.168.1.20:4444", "192.168.1.20:4444")], mappedAndBound);
    }

    [Fact]
    public void Advertised_addresses_override_everything()
    {
        var contacts = ContactPlan.Order(Lbry(Map("tcp", 4444, "11.77.0.2:4444")) with
        {
            External = [IPAddress.Parse("11.77.0.2")],
            Advertise = ["home.example.org", "198.51.7.1:5555", "2a00:1450::1", "[2a00:1450::2]:6000"],
        });

        Assert.Equal(
            [
                Contact("home.example.org:4444", "home.example.org:4444"),
                Contact("198.51.7.1:5555", "198.51.7.1:5555"),
                Contact("[2a00:1450::1]:4444", "[2a00:1450::1]:4444"),
                Contact("[2a00:1450::2]:6000", "[2a00:1450::2]:6000"),
            ],
            contacts);
    }

    [Fact]
    public void A_torrents_peer_and_dht_roles_take_their_own_mappings()
    {
        var inputs = new ContactInputs
        {
            TcpPort = 6881,
            UdpPort = 6881,
            Mappings = [Map("tcp", 6881, "11.77.0.2:16881"), Map("udp", 6881, "11.77.0.2:26881"), Map("tcp", 4444, "11.77.0.2:4444")],
            BoundTcp = [new IPEndPoint(IPAddress.Any, 6881)],
            BoundUdp = [],
            Interfaces = [Lan],
        };

        // No UDP socket bound (a one-off node naming a later node's DHT): the TCP listener's families stand in.
        Assert.Equal([Contact("11.77.0.2:26881", "11.77.0.2:16881"), Contact("192.168.1.20:6881", "192.168.1.20:6881")], ContactPlan.Order(inputs));
        Assert.Equal([Contact(null, "11.77.0.2:16881"), Contact(null, "192.168.1.20:6881")], ContactPlan.Order(inputs with { UdpPort = 0 }));
    }

    [Theory]
    [InlineData("[\"\"]", "has no host")]
    [InlineData("[\"224.0.0.1\"]", "multicast")]
    [InlineData("[\"host:99999\"]", "port")]
    [InlineData("[\"[host]:80\"]", "bracket")]
    [InlineData("[\"bad_name!\"]", "neither an IP address nor a DNS name")]
    [InlineData("[5]", "HOST[:PORT] strings")]
    [InlineData("\"x\"", "a list of HOST[:PORT]")]
    public void The_advertise_setting_refuses_what_no_receiver_can_reach_with_a_sentence(string json, string expected)
    {
        var ex = Assert.ThrowsAny<FormatException>(() => ContactPlan.ParseAdvertiseSetting(System.Text.Json.Nodes.JsonNode.Parse(json)));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_advertise_setting_keeps_good_entries_as_given_and_caps_their_number()
    {
        var parsed = ContactPlan.ParseAdvertiseSetting(System.Text.Json.Nodes.JsonNode.Parse("[\"203.0.113.5:4444\", \"home.example.org\", \"2a00:1450::1\"]"));
        Assert.Equal(["203.0.113.5:4444", "home.example.org", "2a00:1450::1"], parsed);

        var many = System.Text.Json.Nodes.JsonNode.Parse("[" + string.Join(",", Enumerable.Range(1, 17).Select(i => $"\"10.0.0.{i}\"")) + "]");
        Assert.Contains("at most 16", Assert.ThrowsAny<FormatException>(() => ContactPlan.ParseAdvertiseSetting(many)).Message, StringComparison.Ordinal);
    }
}
