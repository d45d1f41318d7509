using System.Net;
using SmartShare.BitTorrent.Dht;

namespace SmartShare.BitTorrent.Tests.Dht;

public class DhtAddressPolicyTests
{
    [Theory]
    [InlineData("8.8.8.8:6881", false, true)]
    [InlineData("[2001:4860::8888]:6881", false, true)]
    [InlineData("127.0.0.1:6881", false, false)]
    [InlineData("10.1.2.3:6881", false, false)]
    [InlineData("172.20.0.1:6881", false, false)]
    [InlineData("192.168.1.1:6881", false, false)]
    [InlineData("[::1]:6881", false, false)]
    [InlineData("[::ffff:127.0.0.1]:6881", false, false)]
    [InlineData("127.0.0.1:6881", true, true)]
    [InlineData("192.168.1.1:6881", true, true)]
    [InlineData("[::1]:6881", true, true)]
    [InlineData("0.0.0.0:6881", true, false)]
    [InlineData("224.0.0.1:6881", true, false)]
    [InlineData("255.255.255.255:6881", true, false)]
    [InlineData("[ff02::1]:6881", true, false)]
    [InlineData("[::]:6881", true, false)]
    [InlineData("8.8.8.8:0", true, false)]
    public void Refuses_unusable_addresses_always_and_local_ones_unless_lan_is_allowed(string endPoint, bool allowLan, bool allowed)
    {
        Assert.Equal(allowed, new DhtAddressPolicy(allowLan).IsAllowed(IPEndPoint.Parse(endPoint)));
    }
}
