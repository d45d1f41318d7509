using SmartShare.Node.Shares;

namespace SmartShare.Node.Tests.Shares;

public sealed class SmartShareEndpointTests
{
    [Theory]
    [InlineData("1.2.3.4:4444", "1.2.3.4", 4444)]
    [InlineData("[::1]:4444", "::1", 4444)]
    [InlineData("[2001:db8::5]:1", "2001:db8::5", 1)]
    [InlineData("[::ffff:10.0.0.1]:65535", "::ffff:10.0.0.1", 65535)]
    [InlineData("host.example:4444", "host.example", 4444)]
    [InlineData("localhost:3333", "localhost", 3333)]
    [InlineData("127.0.0.1:3333", "127.0.0.1", 3333)]
    [InlineData("192.168.0.1:3333", "192.168.0.1", 3333)]
    [InlineData("xn--bcher-kva.example:80", "xn--bcher-kva.example", 80)]
    public void Parses_and_prints_host_and_port(string text, string host, int port)
    {
        var endpoint = SmartShareEndpoint.Parse(text);

        Assert.Equal(new SmartShareEndpoint(host, port), endpoint);
        Assert.Equal(text, endpoint.ToString());
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("1.2.3.4", "has no port")]
    [InlineData("1.2.3.4:", "has the port ''")]
    [InlineData("1.2.3.4:+1", "has the port '+1'")]
    [InlineData("1.2.3.4:123456", "has the port '123456'")]
    [InlineData(":4444", "has no host")]
    [InlineData("::1:4444", "without brackets")]
    [InlineData("[::1]4444", "must be followed by a colon and a port")]
    [InlineData("[1.2.3.4]:4444", "brackets hold only an IPv6 address")]
    [InlineData("[::g]:4444", "does not hold a valid IPv6 address")]
    [InlineData("[::]:4444", "unspecified")]
    [InlineData("0.0.0.0:4444", "unspecified")]
    [InlineData("255.255.255.255:4444", "broadcast")]
    [InlineData("224.0.0.1:4444", "multicast")]
    [InlineData("[ff02::1]:4444", "multicast")]
    [InlineData("01.2.3.4:4444", "not a valid IPv4 address")]
    [InlineData("1.2.3.256:4444", "not a valid IPv4 address")]
    [InlineData("0x7f.1:4444", "not a valid IPv4 address")]
    [InlineData("under_score.example:4444", "neither an IP address nor a DNS name")]
    [InlineData("trailing.dot.:4444", "neither an IP address nor a DNS name")]
    [InlineData("a..b:4444", "neither an IP address nor a DNS name")]
    [InlineData("host-.example:4444", "neither an IP address nor a DNS name")]
    [InlineData("h\u00e9.example:4444", "neither an IP address nor a DNS name")]
    public void Rejects_an_endpoint_no_peer_can_be_reached_at(string text, string reason)
    {
        var error = Assert.Throws<SmartShareFormatException>(() => SmartShareEndpoint.Parse(text));

        Assert.Contains("The endpoint", error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_a_dns_name_longer_than_253_characters()
    {
        var name = string.Join('.', Enumerable.Repeat(new string('a', 63), 4)) + ":1";

        Assert.Throws<SmartShareFormatException>(() => SmartShareEndpoint.Parse(name));
    }
}
