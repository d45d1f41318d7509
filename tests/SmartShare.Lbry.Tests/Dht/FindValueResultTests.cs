using System.Net;
using SmartShare.Bencode;
using SmartShare.Lbry.Dht;

namespace SmartShare.Lbry.Tests.Dht;

public sealed class FindValueResultTests
{
    private static readonly System.Text.Json.JsonElement Vectors = Support.Vectors.Load("dht-datagrams.json");
    private static readonly byte[] A = Input("A");
    private static readonly byte[] B = Input("B");
    private static readonly byte[] Key = Input("key");
    private static readonly byte[] Token = Input("token");

    [Fact]
    public void Reads_the_vector_answer_token_contact_pages_and_peer()
    {
        var response = Assert.IsType<DhtResponse>(DhtDatagramCodec.Decode(Datagram("findValue response B->A")));

        Assert.True(FindValueResult.TryRead(response.Result, Key, PeerAddressPolicy.Public, out var result));

        Assert.Equal(Token, result.Token.ToArray());
        var contact = Assert.Single(result.Contacts!);
        Assert.Equal(A, contact.NodeId.ToArray());
        Assert.Equal(new IPEndPoint(IPAddress.Parse("1.2.3.4"), 4444), contact.EndPoint);
        Assert.Equal(1, result.Pages);
        var peer = Assert.Single(result.Peers);
        Assert.Equal(IPAddress.Parse("5.6.7.8"), peer.Address);
        Assert.Equal(4444, peer.TcpPort);
        Assert.Equal(B, peer.NodeId.ToArray());
    }

    [Fact]
    public void Writes_the_vector_answer_byte_for_byte()
    {
        var result = new FindValueResult(
            Token,
            [new DhtContact(A, new IPEndPoint(IPAddress.Parse("1.2.3.4"), 4444))],
            1,
            [new CompactPeerAddress(IPAddress.Parse("5.6.7.8"), 4444, B)]);
        var rpcId = Input("rpc_id");

        var bytes = DhtDatagramCodec.Encode(new DhtResponse(rpcId, B, result.ToBencode(Key)));

        Assert.Equal(Datagram("findValue response B->A"), bytes);
    }

    [Fact]
    public void Contacts_and_peers_the_policy_refuses_are_skipped_not_fatal()
    {
        var result = new FindValueResult(
            Token,
            [new DhtContact(A, new IPEndPoint(IPAddress.Loopback, 4444)), new DhtContact(B, new IPEndPoint(IPAddress.Parse("1.2.3.4"), 80))],
            1,
            [new CompactPeerAddress(IPAddress.Parse("192.168.1.5"), 4444, B), new CompactPeerAddress(IPAddress.Parse("5.6.7.8"), 4444, A)]);

        Assert.True(FindValueResult.TryRead(result.ToBencode(Key), Key, PeerAddressPolicy.Public, out var read));

        Assert.Empty(read.Contacts!);
        Assert.Equal(A, Assert.Single(read.Peers).NodeId.ToArray());
        Assert.True(FindValueResult.TryRead(result.ToBencode(Key), Key, new PeerAddressPolicy(allowLan: true), out var lan));
        Assert.Single(lan.Contacts!);
        Assert.Equal(2, lan.Peers.Count);
    }

    [Fact]
    public void An_answer_without_a_token_is_a_failed_request()
    {
        var noToken = new BencodeDictionary([new BencodeEntry(BencodeKey.FromAscii("p"), new BencodeInteger(0))]);

        Assert.False(FindValueResult.TryRead(noToken, Key, PeerAddressPolicy.Public, out _));
        Assert.False(FindValueResult.TryRead(BencodeByteString.FromAscii("pong"), Key, PeerAddressPolicy.Public, out _));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(8, 1)]
    [InlineData(9, 2)]
    [InlineData(16, 2)]
    [InlineData(17, 2)]
    [InlineData(18, 3)]
    public void Page_count_keeps_lbry_sdks_formula(int peers, int pages)
    {
        Assert.Equal(pages, FindValueResult.PageCount(peers, k: 8));
    }

    private static byte[] Datagram(string name) => Convert.FromHexString(
        Vectors.GetProperty("datagrams").EnumerateArray().Single(d => d.GetProperty("name").GetString() == name).GetProperty("hex").GetString()!);

    private static byte[] Input(string name) => Convert.FromHexString(Vectors.GetProperty("inputs").GetProperty(name).GetString()!);
}
