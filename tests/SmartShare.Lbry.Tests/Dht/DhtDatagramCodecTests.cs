using System.Net;
using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using SmartShare.Bencode;
using SmartShare.Lbry.Dht;
using SmartShare.Lbry.Tests.Support;

namespace SmartShare.Lbry.Tests.Dht;

public sealed class DhtDatagramCodecTests
{
    private static readonly JsonElement Vectors = Support.Vectors.Load("dht-datagrams.json");
    private static readonly byte[] A = Input("A");
    private static readonly byte[] B = Input("B");
    private static readonly byte[] Key = Input("key");
    private static readonly byte[] Token = Input("token");
    private static readonly byte[] RpcId = Input("rpc_id");

    public static TheoryData<string> DatagramNames()
    {
        var names = new TheoryData<string>();
        foreach (var datagram in Vectors.GetProperty("datagrams").EnumerateArray())
        {
            names.Add(datagram.GetProperty("name").GetString()!);
        }

        return names;
    }

    [Theory]
    [MemberData(nameof(DatagramNames))]
    public void Builds_every_vector_datagram_byte_for_byte(string name)
    {
        var message = Build(name);

        Assert.Equal(Hex(name), Convert.ToHexStringLower(DhtDatagramCodec.Encode(message)));
    }

    [Theory]
    [MemberData(nameof(DatagramNames))]
    public void Decodes_every_vector_datagram_and_encodes_it_back_unchanged(string name)
    {
        var bytes = Convert.FromHexString(Hex(name));

        var message = DhtDatagramCodec.Decode(bytes);

        Assert.Equal(RpcId, message.RpcId.ToArray());
        Assert.Equal(bytes, DhtDatagramCodec.Encode(message));
    }

    [Fact]
    public void A_find_value_request_splits_page_keyword_from_protocol_version()
    {
        var request = Assert.IsType<DhtRequest>(DhtDatagramCodec.Decode(Convert.FromHexString(Hex("findValue request A->B page 1"))));

        Assert.Equal(DhtRequest.FindValueMethod, request.Method);
        Assert.Equal(Key, Assert.IsType<BencodeByteString>(Assert.Single(request.Arguments)).Value.ToArray());
        var page = Assert.Single(request.Keywords);
        Assert.Equal(BencodeKey.FromAscii("p"), page.Key);
        Assert.Equal(1, Assert.IsType<BencodeInteger>(page.Value).Value);
    }

    [Fact]
    public void Decodes_the_error_type_and_message()
    {
        var error = Assert.IsType<DhtError>(DhtDatagramCodec.Decode(Convert.FromHexString(Hex("error B->A"))));

        Assert.Equal(DhtError.ValueErrorType, error.ExceptionType);
        Assert.Equal("Invalid token", error.Message);
        Assert.Equal(B, error.NodeId.ToArray());
    }

    [Fact]
    public void A_request_without_the_protocol_version_dictionary_takes_every_item_as_positional()
    {
        var legacy = Encoding.ASCII.GetBytes("d1:0i0e1:120:").Concat(RpcId).Concat(Encoding.ASCII.GetBytes("1:248:")).Concat(A)
            .Concat(Encoding.ASCII.GetBytes("1:34:ping1:4lee")).ToArray();

        var request = Assert.IsType<DhtRequest>(DhtDatagramCodec.Decode(legacy));

        Assert.Equal(DhtRequest.PingMethod, request.Method);
        Assert.Empty(request.Arguments);
        Assert.Empty(request.Keywords);
    }

    public static TheoryData<string, string> Malformed() => new()
    {
        { "not a dictionary", "le" },
        { "not bencode", "hello" },
        { "unknown packet type", "d1:0i7e1:120:" + new string('a', 20) + "1:248:" + new string('b', 48) + "1:34:pinge" },
        { "short rpc id", "d1:0i0e1:119:" + new string('a', 19) + "1:248:" + new string('b', 48) + "1:34:pinge" },
        { "short node id", "d1:0i0e1:120:" + new string('a', 20) + "1:247:" + new string('b', 47) + "1:34:pinge" },
        { "missing method", "d1:0i0e1:120:" + new string('a', 20) + "1:248:" + new string('b', 48) + "e" },
        { "arguments not a list", "d1:0i0e1:120:" + new string('a', 20) + "1:248:" + new string('b', 48) + "1:34:ping1:4i1ee" },
        { "response without result", "d1:0i1e1:120:" + new string('a', 20) + "1:248:" + new string('b', 48) + "e" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_datagrams_raise_the_typed_error(string why, string datagram)
    {
        Assert.False(string.IsNullOrEmpty(why));
        Assert.Throws<DhtDatagramException>(() => DhtDatagramCodec.Decode(Encoding.ASCII.GetBytes(datagram)));
    }

    [Fact]
    public void Oversized_datagrams_are_refused_before_decoding()
    {
        Assert.Throws<DhtDatagramException>(() => DhtDatagramCodec.Decode(new byte[DhtDatagramCodec.MaxReceivedSize + 1]));
    }

    [Fact]
    public void A_message_over_1400_bytes_is_never_sent()
    {
        var tooLong = new DhtError(RpcId, B, DhtError.ValueErrorType, new string('x', 1400));

        Assert.Throws<InvalidOperationException>(() => DhtDatagramCodec.Encode(tooLong));
    }

    [Fact]
    public void Random_and_mutated_datagrams_decode_or_raise_only_the_typed_error()
    {
        var valid = Vectors.GetProperty("datagrams").EnumerateArray().Select(datagram => Convert.FromHexString(datagram.GetProperty("hex").GetString()!)).ToArray();
        var mutations =
            from index in Gen.Choose(0, valid.Length - 1)
            from place in Gen.Choose(0, 400)
            from value in Gen.Choose(0, 255)
            from cut in Gen.Choose(0, 400)
            select (index, place, value, cut);
        var property = Prop.ForAll(mutations.ToArbitrary(), sample =>
        {
            var bytes = (byte[])valid[sample.index].Clone();
            bytes[sample.place % bytes.Length] = (byte)sample.value;
            return DecodesOrRefuses(bytes) && DecodesOrRefuses(bytes.AsSpan(0, sample.cut % (bytes.Length + 1)).ToArray());
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(3000), property);

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(2000), Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), DecodesOrRefuses));
    }

    private static bool DecodesOrRefuses(byte[] bytes)
    {
        try
        {
            DhtDatagramCodec.Decode(bytes);
            return true;
        }
        catch (DhtDatagramException)
        {
            return true;
        }
    }

    private static DhtMessage Build(string name)
    {
        var contactA = new BencodeList([new BencodeByteString(A), BencodeByteString.FromAscii("1.2.3.4"), new BencodeInteger(4444)]);
        return name switch
        {
            "ping request A->B" => DhtRequest.Ping(RpcId, A),
            "ping response B->A" => new DhtResponse(RpcId, B, BencodeByteString.FromAscii("pong")),
            "findNode request A->B" => DhtRequest.FindNode(RpcId, A, Key),
            "findNode response B->A with contact A@1.2.3.4:4444" => new DhtResponse(RpcId, B, new BencodeList([contactA])),
            "findValue request A->B page 0" => DhtRequest.FindValue(RpcId, A, Key, 0),
            "findValue request A->B page 1" => DhtRequest.FindValue(RpcId, A, Key, 1),
            "store request A->B port 4444" => DhtRequest.Store(RpcId, A, Key, Token, 4444),
            "store response B->A" => new DhtResponse(RpcId, B, BencodeByteString.FromAscii("OK")),
            "findValue response B->A" => new DhtResponse(RpcId, B, new BencodeDictionary(
            [
                new BencodeEntry(BencodeKey.FromBytes(Key), new BencodeList([new BencodeByteString(new CompactPeerAddress(IPAddress.Parse("5.6.7.8"), 4444, B).ToArray())])),
                new BencodeEntry(BencodeKey.FromAscii("contacts"), new BencodeList([contactA])),
                new BencodeEntry(BencodeKey.FromAscii("p"), new BencodeInteger(1)),
                new BencodeEntry(BencodeKey.FromAscii("protocolVersion"), new BencodeInteger(1)),
                new BencodeEntry(BencodeKey.FromAscii("token"), new BencodeByteString(Token)),
            ])),
            "error B->A" => new DhtError(RpcId, B, DhtError.ValueErrorType, "Invalid token"),
            _ => throw new ArgumentException($"No builder for the vector '{name}'.", nameof(name)),
        };
    }

    private static string Hex(string name) =>
        Vectors.GetProperty("datagrams").EnumerateArray().Single(datagram => datagram.GetProperty("name").GetString() == name).GetProperty("hex").GetString()!;

    private static byte[] Input(string name) => Convert.FromHexString(Vectors.GetProperty("inputs").GetProperty(name).GetString()!);
}
