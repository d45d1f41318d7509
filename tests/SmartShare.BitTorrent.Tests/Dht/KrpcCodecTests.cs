using System.Net;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using SmartShare.BitTorrent.Dht;
using SmartShare.Kademlia;

namespace SmartShare.BitTorrent.Tests.Dht;

public class KrpcCodecTests
{
    private static readonly NodeId Abc = Id("abcdefghij0123456789");
    private static readonly NodeId Mno = Id("mnopqrstuvwxyz123456");

    private static NodeId Id(string text) => NodeId.FromBytes(Encoding.ASCII.GetBytes(text));

    private static byte[] Bytes(string text) => Encoding.Latin1.GetBytes(text);

    private static string Text(byte[] bytes) => Encoding.Latin1.GetString(bytes);

    private static readonly byte[] Aa = Bytes("aa");

    [Fact]
    public void Encodes_the_bep5_ping_query_and_response_byte_for_byte()
    {
        Assert.Equal("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe", Text(KrpcCodec.Encode(KrpcQuery.Ping(Aa, Abc))));
        Assert.Equal("d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re", Text(KrpcCodec.Encode(new KrpcResponse(Aa, Mno))));
    }

    [Fact]
    public void Encodes_the_bep5_find_node_get_peers_and_announce_queries()
    {
        Assert.Equal(
            "d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:aa1:y1:qe",
            Text(KrpcCodec.Encode(KrpcQuery.FindNode(Aa, Abc, Mno))));
        var infoHash = InfoHash.FromBytes(Bytes("mnopqrstuvwxyz123456"));
        Assert.Equal(
            "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e1:q9:get_peers1:t2:aa1:y1:qe",
            Text(KrpcCodec.Encode(KrpcQuery.GetPeers(Aa, Abc, infoHash))));
        Assert.Equal(
            "d1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:mnopqrstuvwxyz1234564:porti6881e5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe",
            Text(KrpcCodec.Encode(KrpcQuery.AnnouncePeer(Aa, Abc, infoHash, 6881, impliedPort: true, Bytes("aoeusnth")))));
        Assert.Equal("d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee", Text(KrpcCodec.Encode(new KrpcError(Aa, 201, "A Generic Error Ocurred"))));
    }

    [Fact]
    public void Decodes_the_bep5_examples()
    {
        var ping = Assert.IsType<KrpcQuery>(KrpcCodec.Decode(Bytes("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe")));
        Assert.Equal(KrpcMethod.Ping, ping.Method);
        Assert.Equal(Abc, ping.Id);
        Assert.Equal("aa", Text(ping.TransactionId.ToArray()));

        var values = Assert.IsType<KrpcResponse>(KrpcCodec.Decode(Bytes(
            "d1:rd2:id20:abcdefghij01234567895:token8:aoeusnth6:valuesl6:axje.u6:idhtnmee1:t2:aa1:y1:re")));
        Assert.Equal(Abc, values.Id);
        Assert.Equal("aoeusnth", Text(values.Token.ToArray()));
        Assert.Equal([new IPEndPoint(IPAddress.Parse("97.120.106.101"), 0x2e75), new IPEndPoint(IPAddress.Parse("105.100.104.116"), 0x6e6d)], values.Values);

        var announce = Assert.IsType<KrpcQuery>(KrpcCodec.Decode(Bytes(
            "d1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:mnopqrstuvwxyz1234564:porti6881e5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe")));
        Assert.Equal(KrpcMethod.AnnouncePeer, announce.Method);
        Assert.True(announce.ImpliedPort);
        Assert.Equal(6881, announce.Port);
        Assert.Equal(InfoHash.FromBytes(Bytes("mnopqrstuvwxyz123456")), announce.InfoHash);

        var error = Assert.IsType<KrpcError>(KrpcCodec.Decode(Bytes("d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee")));
        Assert.Equal(KrpcErrorCode.Generic, error.Code);
        Assert.Equal("A Generic Error Ocurred", error.Message);
    }

    [Fact]
    public void Round_trips_a_response_with_nodes_values_token_and_version()
    {
        var nodes = new[]
        {
            new ContactInfo(Abc, new IPEndPoint(IPAddress.Parse("10.1.2.3"), 6881)),
            new ContactInfo(Mno, new IPEndPoint(IPAddress.Parse("127.0.0.1"), 65535)),
        };
        var peers = new[] { new IPEndPoint(IPAddress.Parse("1.2.3.4"), 51413), new IPEndPoint(IPAddress.Parse("2001:db8::1"), 6881) };
        var response = new KrpcResponse(Bytes("\u0001\u00ff"), Mno) { Nodes = nodes, Values = peers, Token = Bytes("tok"), Version = Bytes("LT\u0002\u0000") };

        var decoded = Assert.IsType<KrpcResponse>(KrpcCodec.Decode(KrpcCodec.Encode(response)));

        Assert.Equal(Mno, decoded.Id);
        Assert.Equal(nodes, decoded.Nodes);
        Assert.Equal(peers, decoded.Values);
        Assert.Equal("tok", Text(decoded.Token.ToArray()));
        Assert.Equal("LT\u0002\u0000", Text(decoded.Version.ToArray()));
        Assert.Equal("\u0001\u00ff", Text(decoded.TransactionId.ToArray()));
    }

    [Fact]
    public void Unknown_keys_are_ignored_and_read_only_is_read()
    {
        var query = Assert.IsType<KrpcQuery>(KrpcCodec.Decode(Bytes(
            "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234566:noseedi1e6:scrapei1e4:wantl2:n42:n6ee" +
            "1:q9:get_peers2:roi1e1:t4:abcd1:v4:LT\u0002\u00001:y1:qe")));
        Assert.Equal(KrpcMethod.GetPeers, query.Method);
        Assert.True(query.ReadOnly);
        Assert.Equal("LT\u0002\u0000", Text(query.Version.ToArray()));
        Assert.True(KrpcCodec.Decode(KrpcCodec.Encode(KrpcQuery.Ping(Aa, Abc) with { ReadOnly = true })) is KrpcQuery { ReadOnly: true });
    }

    [Fact]
    public void An_unknown_method_decodes_as_unknown_with_its_name()
    {
        var query = Assert.IsType<KrpcQuery>(KrpcCodec.Decode(Bytes("d1:ad2:id20:abcdefghij0123456789e1:q17:sample_infohashes1:t2:aa1:y1:qe")));
        Assert.Equal(KrpcMethod.Unknown, query.Method);
        Assert.Equal("sample_infohashes", query.MethodName);
    }

    [Fact]
    public void A_libtorrent_203_answer_to_an_unknown_method_is_read_as_an_error()
    {
        var error = Assert.IsType<KrpcError>(KrpcCodec.Decode(Bytes("d1:eli203e14:unknown methode1:t2:aa1:v4:LT\u0002\u00001:y1:ee")));
        Assert.Equal(KrpcErrorCode.Protocol, error.Code);
    }

    [Theory]
    [InlineData("d1:ad2:id19:abcdefghij012345678e1:q4:ping1:t2:aa1:y1:qe")]
    [InlineData("d1:ad6:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:aa1:y1:qe")]
    [InlineData("d1:ad2:id20:abcdefghij0123456789e1:q9:find_node1:t2:aa1:y1:qe")]
    [InlineData("d1:ad2:id20:abcdefghij01234567899:info_hash3:abce1:q9:get_peers1:t2:aa1:y1:qe")]
    [InlineData("d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti6881ee1:q13:announce_peer1:t2:aa1:y1:qe")]
    [InlineData("d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti70000e5:token2:xxe1:q13:announce_peer1:t2:aa1:y1:qe")]
    [InlineData("d1:ai5e1:q4:ping1:t2:aa1:y1:qe")]
    public void A_query_with_bad_arguments_is_answerable_with_203(string datagram)
    {
        var ex = Assert.Throws<KrpcFormatException>(() => KrpcCodec.Decode(Bytes(datagram)));
        Assert.True(ex.IsAnswerableQuery);
        Assert.Equal("aa", Text(ex.QueryTransactionId.ToArray()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("le")]
    [InlineData("d1:y1:qe")]
    [InlineData("d1:t17:aaaaaaaaaaaaaaaaa1:y1:re")]
    [InlineData("d1:t0:1:y1:re")]
    [InlineData("d1:t2:aa1:y1:xe")]
    [InlineData("d1:rd2:id20:abcdefghij0123456789e1:t2:aa1:y1:re extra")]
    [InlineData("d1:rd2:id20:abcdefghij01234567895:nodes5:abcdee1:t2:aa1:y1:re")]
    [InlineData("d1:t2:aa1:rd2:id20:abcdefghij0123456789e1:y1:re")]
    [InlineData("d1:rd2:id3:abce1:t2:aa1:y1:re")]
    public void Malformed_datagrams_throw_only_the_typed_exception(string datagram)
    {
        var ex = Assert.Throws<KrpcFormatException>(() => KrpcCodec.Decode(Bytes(datagram)));
        Assert.False(ex.IsAnswerableQuery);
    }

    [Fact]
    public void Datagrams_over_1500_bytes_are_refused()
    {
        var big = "d1:rd2:id20:abcdefghij01234567895:token1500:" + new string('x', 1500) + "e1:t2:aa1:y1:re";
        Assert.Throws<KrpcFormatException>(() => KrpcCodec.Decode(Bytes(big)));
    }

    [Fact]
    public void Values_of_other_lengths_are_skipped_and_ipv6_values_are_read()
    {
        var items = string.Concat(Enumerable.Repeat("6:abcdef", 170)) + "5:abcde" + "18:abcdefghijklmnopqr";
        var response = Assert.IsType<KrpcResponse>(KrpcCodec.Decode(Bytes($"d1:rd2:id20:abcdefghij01234567896:valuesl{items}ee1:t2:aa1:y1:re")));
        Assert.Equal(171, response.Values.Count);
    }

    [Fact]
    public void Random_bytes_throw_only_krpc_format_exceptions()
    {
        var prop = Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), bytes => OnlyFormatExceptions(bytes));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(3000), prop);
    }

    [Fact]
    public void Mutated_valid_messages_throw_only_krpc_format_exceptions()
    {
        byte[][] samples =
        [
            Bytes("d1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:mnopqrstuvwxyz1234564:porti6881e5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe"),
            Bytes("d1:rd2:id20:abcdefghij01234567895:nodes26:abcdefghij0123456789\u0001\u0002\u0003\u0004\u0005\u00065:token8:aoeusnth6:valuesl6:axje.u6:idhtnmee1:t2:aa1:y1:re"),
            Bytes("d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee"),
            Bytes("d2:ip6:\u000bM\u0000\u0002\u001a\u00e11:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re"),
            Bytes("d2:ip18:abcdefghijklmnop\u001a\u00e11:eli203e2:noe1:t2:aa1:y1:ee"),
        ];
        var prop = Prop.ForAll(
            Gen.Choose(0, samples.Length - 1).ToArbitrary(),
            ArbMap.Default.ArbFor<int>(),
            ArbMap.Default.ArbFor<byte>(),
            (sample, position, value) =>
            {
                var bytes = (byte[])samples[sample].Clone();
                bytes[(int)((uint)position % bytes.Length)] = value;
                OnlyFormatExceptions(bytes);
                OnlyFormatExceptions(bytes.AsSpan(0, (int)((uint)position % bytes.Length)).ToArray());
            });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(3000), prop);
    }

    private static void OnlyFormatExceptions(byte[] bytes)
    {
        try
        {
            KrpcCodec.Decode(bytes);
        }
        catch (KrpcFormatException)
        {
        }
    }
}
