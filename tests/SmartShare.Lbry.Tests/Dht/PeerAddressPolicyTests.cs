using System.Net;
using SmartShare.Lbry.Dht;

namespace SmartShare.Lbry.Tests.Dht;

public sealed class PeerAddressPolicyTests
{
    [Theory]
    [InlineData("1.2.3.4")]
    [InlineData("5.6.7.8")]
    [InlineData("8.8.8.8")]
    [InlineData("100.63.255.255")]
    [InlineData("100.128.0.0")]
    [InlineData("172.32.0.1")]
    [InlineData("223.255.255.254")]
    public void Public_ipv4_addresses_are_allowed(string address)
    {
        Assert.True(PeerAddressPolicy.Public.IsAllowed(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("10.1.2.3")]
    [InlineData("100.64.0.1")]
    [InlineData("127.0.0.1")]
    [InlineData("169.254.1.1")]
    [InlineData("172.16.0.1")]
    [InlineData("192.0.2.1")]
    [InlineData("192.88.99.1")]
    [InlineData("192.168.1.1")]
    [InlineData("198.18.0.1")]
    [InlineData("224.0.0.1")]
    [InlineData("240.0.0.1")]
    [InlineData("255.255.255.255")]
    [InlineData("::1")]
    [InlineData("2001:db8::1")]
    public void Non_public_and_ipv6_addresses_are_refused_as_lbry_sdk_does(string address)
    {
        Assert.False(PeerAddressPolicy.Public.IsAllowed(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("10.1.2.3", true)]
    [InlineData("192.168.1.1", true)]
    [InlineData("172.20.0.5", true)]
    [InlineData("1.2.3.4", true)]
    [InlineData("0.0.0.0", false)]
    [InlineData("224.0.0.1", false)]
    [InlineData("255.255.255.255", false)]
    [InlineData("240.0.0.1", false)]
    public void Allow_lan_adds_loopback_and_private_ranges_but_never_unspecified_multicast_or_broadcast(string address, bool allowed)
    {
        Assert.Equal(allowed, new PeerAddressPolicy(allowLan: true).IsAllowed(IPAddress.Parse(address)));
    }

    [Fact]
    public void Ipv4_mapped_ipv6_addresses_from_dual_stack_sockets_are_judged_as_ipv4()
    {
        Assert.True(PeerAddressPolicy.Public.IsAllowed(IPAddress.Parse("::ffff:1.2.3.4")));
        Assert.False(PeerAddressPolicy.Public.IsAllowed(IPAddress.Parse("::ffff:127.0.0.1")));
    }

    [Theory]
    [InlineData(1023, false)]
    [InlineData(1024, true)]
    [InlineData(4444, true)]
    [InlineData(65535, true)]
    [InlineData(65536, false)]
    [InlineData(0, false)]
    public void Ports_follow_lbry_sdk_range(int port, bool valid)
    {
        Assert.Equal(valid, PeerAddressPolicy.IsValidPort(port));
        Assert.Equal(valid, PeerAddressPolicy.Public.IsAllowed(new IPEndPoint(IPAddress.Parse("1.2.3.4"), Math.Clamp(port, 0, 65535))) && port <= 65535);
    }

    [Fact]
    public void An_address_given_explicitly_is_accepted_where_the_public_rules_refuse_it_and_only_that_one()
    {
        var policy = new PeerAddressPolicy(allowLan: false);
        Assert.False(policy.IsAllowed(IPAddress.Parse("192.168.1.20")));

        Assert.True(policy.Trust(IPAddress.Parse("192.168.1.20")));

        Assert.True(policy.IsAllowed(IPAddress.Parse("192.168.1.20")));
        Assert.True(policy.IsAllowed(IPAddress.Parse("::ffff:192.168.1.20")));
        Assert.False(policy.IsAllowed(IPAddress.Parse("192.168.1.21")));
        Assert.False(policy.Trust(IPAddress.Parse("fe80::1")));
        Assert.False(PeerAddressPolicy.Public.IsAllowed(IPAddress.Parse("192.168.1.20")));
    }
}
