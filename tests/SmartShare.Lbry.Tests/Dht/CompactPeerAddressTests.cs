using System.Net;
using SmartShare.Lbry.Dht;
using SmartShare.Lbry.Tests.Support;

namespace SmartShare.Lbry.Tests.Dht;

public sealed class CompactPeerAddressTests
{
    private static readonly System.Text.Json.JsonElement DhtVectors = Vectors.Load("dht-datagrams.json");

    [Fact]
    public void Encodes_the_vector_address_of_b_at_5_6_7_8_port_4444()
    {
        var nodeB = Convert.FromHexString(DhtVectors.GetProperty("inputs").GetProperty("B").GetString()!);

        var bytes = new CompactPeerAddress(IPAddress.Parse("5.6.7.8"), 4444, nodeB).ToArray();

        Assert.Equal(DhtVectors.GetProperty("compact_address_B_5.6.7.8_4444").GetString(), Convert.ToHexStringLower(bytes));
    }

    [Fact]
    public void Reads_back_what_it_writes()
    {
        var bytes = Convert.FromHexString(DhtVectors.GetProperty("compact_address_B_5.6.7.8_4444").GetString()!);

        Assert.True(CompactPeerAddress.TryRead(bytes, out var peer));

        Assert.Equal(IPAddress.Parse("5.6.7.8"), peer.Address);
        Assert.Equal(4444, peer.TcpPort);
        Assert.Equal(bytes, peer.ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(53)]
    [InlineData(55)]
    public void Refuses_any_other_length(int length)
    {
        Assert.False(CompactPeerAddress.TryRead(new byte[length], out _));
    }

    [Fact]
    public void Refuses_to_encode_ipv6_or_a_short_node_id()
    {
        Assert.Throws<ArgumentException>(() => new CompactPeerAddress(IPAddress.IPv6Loopback, 4444, new byte[48]).ToArray());
        Assert.Throws<ArgumentException>(() => new CompactPeerAddress(IPAddress.Loopback, 4444, new byte[20]).ToArray());
    }
}
