using System.Text.Json.Nodes;
using SmartShare.Cli.Output;

namespace SmartShare.Cli.Tests.Commands;

/// <summary>status's IPv6 line: what listens over IPv6, or why nothing does.</summary>
public sealed class Ipv6StatusLineTests
{
    [Fact]
    public void Lists_each_ipv6_end_point_by_network_role_and_protocol()
    {
        var status = Status(
            """{"end_points":[{"role":"dht","protocol":"udp","address":"0.0.0.0","port":4444},{"role":"blob_exchange","protocol":"tcp","address":"::","port":4444}],"ipv6":{"state":"listening","problems":[]}}""",
            """{"end_points":[{"role":"peers","protocol":"tcp","address":"::","port":6881}],"ipv6":{"state":"listening","problems":[]}}""");

        Assert.Equal("IPv6:       lbry blob_exchange TCP [::]:4444, bittorrent peers TCP [::]:6881", Ipv6StatusLine.Describe(status));
    }

    [Fact]
    public void Names_the_sockets_that_could_not_be_bound()
    {
        var status = Status(
            """{"end_points":[],"ipv6":{"state":"unavailable","problems":["TCP [::]:4444 for blob exchange: Address already in use"]}}""",
            """{"end_points":[],"ipv6":{"state":"off","problems":[]}}""");

        Assert.Equal("IPv6:       not listening; not bound: TCP [::]:4444 for blob exchange: Address already in use", Ipv6StatusLine.Describe(status));
    }

    [Fact]
    public void Says_off_when_the_bind_setting_names_one_ipv4_address()
    {
        var status = Status("""{"end_points":[],"ipv6":{"state":"off","problems":[]}}""", """{"end_points":[],"ipv6":{"state":"off","problems":[]}}""");

        Assert.Equal("IPv6:       off (the bind setting names one IPv4 address)", Ipv6StatusLine.Describe(status));
    }

    private static JsonObject Status(string lbry, string bittorrent) =>
        new() { ["networks"] = new JsonObject { ["lbry"] = JsonNode.Parse(lbry), ["bittorrent"] = JsonNode.Parse(bittorrent) } };
}
