using System.Net;
using SmartShare.Interop.Tests.Clients;

namespace SmartShare.Interop.Tests.Harness;

/// <summary>The small promises of the fixtures that the client tests rely on.</summary>
public sealed class FixtureTests
{
    [Fact]
    public void A_missing_tool_fails_the_test_with_a_sentence_naming_scripts_test()
    {
        var failure = Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => InteropTools.Require("/nonexistent/bin/some-client", "some-client"));

        Assert.Contains("scripts/test installs", failure.Message, StringComparison.Ordinal);
        Assert.Contains("some-client", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Loopback_addresses_are_distinct_127_0_0_x_from_2_up_with_ports_free_for_tcp_and_udp()
    {
        var addresses = Enumerable.Range(0, 50).Select(_ => LoopbackAddresses.Next()).ToList();

        Assert.Equal(addresses.Count, addresses.Distinct().Count());
        Assert.All(addresses, address =>
        {
            var bytes = address.GetAddressBytes();
            Assert.Equal([127, 0, 0], bytes[..3]);
            Assert.InRange(bytes[3], 2, 254);
        });
        var endpoint = LoopbackAddresses.NextEndpoint();
        using var tcp = new System.Net.Sockets.TcpListener(endpoint);
        tcp.Start();
        using var udp = new System.Net.Sockets.UdpClient(endpoint);
        Assert.NotEqual(IPAddress.Loopback, endpoint.Address);
    }
}
