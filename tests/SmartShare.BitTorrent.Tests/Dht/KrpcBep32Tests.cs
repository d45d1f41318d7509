using System.Net;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using SmartShare.BitTorrent.Dht;
using SmartShare.Kademlia;

namespace SmartShare.BitTorrent.Tests.Dht;

/// <summary>BEP 32 in the KRPC codec: <c>nodes6</c> (38-byte entries), <c>want</c>, and 18-byte IPv6 peers in <c>values</c>.</summary>
public class KrpcBep32Tests
{
    private static readonly NodeId Abc = NodeId.FromBytes(Encoding.ASCII.GetBytes("abcdefghij0123456789"));
    private static readonly NodeId Mno = NodeId.FromBytes(Encoding.ASCII.GetBytes("mnopqrstuvwxyz123456"));
    private static readonly byte[] Aa = "aa"u8.ToArray();

    [Fact]
    public void Ipv4_contacts_go_in_nodes_and_ipv6_contacts_in_nodes6_and_both_come_back()
    {
        var v4 = new ContactInfo(Abc, new IPEndPoint(IPAddress.Parse("10.1.2.3"), 6881));
        var v6 = new ContactInfo(Mno, new IPEndPoint(IPAddress.Parse("2001:db8::7"), 51413));
        var response = new KrpcResponse(Aa, Abc) { Nodes = [v4, v6] };

        var bytes = KrpcCodec.Encode(response);
        var text = Encoding.Latin1.GetString(bytes);

        Assert.Contains("5:nodes26:", text, StringComparison.Ordinal);
        Assert.Contains("6:nodes638:", text, StringComparison.Ordinal);
        var decoded = Assert.IsType<KrpcResponse>(KrpcCodec.Decode(bytes));
        Assert.Equal([v4, v6], decoded.Nodes);
    }

    [Fact]
    public void A_nodes6_entry_is_the_id_then_sixteen_address_bytes_then_the_big_endian_port()
    {
        var entry = new byte[38];
        Abc.Span.CopyTo(entry);
        IPAddress.IPv6Loopback.TryWriteBytes(entry.AsSpan(20), out _);
        entry[36] = 0x1A;
        entry[37] = 0xE1;
        var datagram = Concat("d1:rd2:id20:mnopqrstuvwxyz1234566:nodes638:", entry, "e1:t2:aa1:y1:re");

        var decoded = Assert.IsType<KrpcResponse>(KrpcCodec.Decode(datagram));

        Assert.Equal([new ContactInfo(Abc, new IPEndPoint(IPAddress.IPv6Loopback, 6881))], decoded.Nodes);
    }

    [Theory]
    [InlineData(37)]
    [InlineData(39)]
    [InlineData(26)]
    public void A_nodes6_that_is_not_a_multiple_of_38_bytes_is_a_format_error(int length)
    {
        var datagram = Concat($"d1:rd2:id20:mnopqrstuvwxyz1234566:nodes6{length}:", new byte[length], "e1:t2:aa1:y1:re");

        var error = Assert.Throws<KrpcFormatException>(() => KrpcCodec.Decode(datagram));

        Assert.Contains("nodes6 must be a multiple of 38 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_nodes6_that_is_not_a_string_is_a_format_error()
    {
        var datagram = Encoding.Latin1.GetBytes("d1:rd2:id20:mnopqrstuvwxyz1234566:nodes6i5ee1:t2:aa1:y1:re");

        Assert.Throws<KrpcFormatException>(() => KrpcCodec.Decode(datagram));
    }

    [Fact]
    public void Want_round_trips_on_find_node_and_get_peers_and_unknown_entries_are_ignored()
    {
        var query = KrpcQuery.FindNode(Aa, Abc, Mno) with { Want = KrpcWant.N4 | KrpcWant.N6 };
        var text = Encoding.Latin1.GetString(KrpcCodec.Encode(query));
        Assert.Contains("4:wantl2:n42:n6e", text, StringComparison.Ordinal);
        Assert.Equal(KrpcWant.N4 | KrpcWant.N6, Assert.IsType<KrpcQuery>(KrpcCodec.Decode(Encoding.Latin1.GetBytes(text))).Want);

        var getPeers = Encoding.Latin1.GetBytes("d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:wantl2:n62:n9ee1:q9:get_peers1:t2:aa1:y1:qe");
        Assert.Equal(KrpcWant.N6, Assert.IsType<KrpcQuery>(KrpcCodec.Decode(getPeers)).Want);

        var none = Encoding.Latin1.GetBytes("d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:aa1:y1:qe");
        Assert.Equal(KrpcWant.None, Assert.IsType<KrpcQuery>(KrpcCodec.Decode(none)).Want);
    }

    [Theory]
    [InlineData("4:wanti1e")]
    [InlineData("4:wantli4ee")]
    [InlineData("4:wantl1:a1:b1:c1:d1:e1:f1:g1:h1:ie")]
    public void A_want_that_is_not_a_short_list_of_strings_is_an_answerable_format_error(string want)
    {
        var datagram = Encoding.Latin1.GetBytes($"d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456{want}e1:q9:find_node1:t2:aa1:y1:qe");

        var error = Assert.Throws<KrpcFormatException>(() => KrpcCodec.Decode(datagram));

        Assert.True(error.IsAnswerableQuery);
        Assert.StartsWith("want must be a list", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Get_peers_values_carry_18_byte_ipv6_peers_next_to_6_byte_ipv4_ones()
    {
        var peers = new[] { new IPEndPoint(IPAddress.Parse("2001:db8::1"), 6881), new IPEndPoint(IPAddress.Parse("192.0.2.9"), 80) };
        var response = new KrpcResponse(Aa, Abc) { Values = peers, Token = "tk"u8.ToArray() };

        var decoded = Assert.IsType<KrpcResponse>(KrpcCodec.Decode(KrpcCodec.Encode(response)));

        Assert.Equal(peers, decoded.Values);
        Assert.Equal(18, KrpcCodec.CompactPeer(peers[0]).Length);
    }

    [Fact]
    public void Mutated_bep32_messages_throw_only_krpc_format_exceptions()
    {
        byte[][] samples =
        [
            KrpcCodec.Encode(new KrpcResponse(Aa, Abc)
            {
                Nodes = [new ContactInfo(Mno, new IPEndPoint(IPAddress.IPv6Loopback, 6881)), new ContactInfo(Abc, new IPEndPoint(IPAddress.Loopback, 6882))],
                Values = [new IPEndPoint(IPAddress.Parse("::1"), 7000)],
                Token = "tok"u8.ToArray(),
            }),
            KrpcCodec.Encode(KrpcQuery.GetPeers(Aa, Abc, InfoHash.FromBytes(Mno.Span)) with { Want = KrpcWant.N4 | KrpcWant.N6 }),
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

    private static byte[] Concat(string head, byte[] middle, string tail) =>
        [.. Encoding.Latin1.GetBytes(head), .. middle, .. Encoding.Latin1.GetBytes(tail)];

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
