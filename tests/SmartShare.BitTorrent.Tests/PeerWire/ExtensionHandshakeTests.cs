using System.Buffers;
using System.Net;
using System.Text;
using SmartShare.BitTorrent.PeerWire;

namespace SmartShare.BitTorrent.Tests.PeerWire;

public class ExtensionHandshakeTests
{
    [Fact]
    public void Encodes_the_bep10_example_in_canonical_order()
    {
        var handshake = new ExtensionHandshake(
            new Dictionary<string, byte> { ["ut_pex"] = 2, ["ut_metadata"] = 1 },
            MetadataSize: 31235,
            Client: "SmartShare 0.1",
            RequestQueue: 250,
            ListenPort: 6881,
            YourIp: IPAddress.Parse("127.0.0.1"));

        var expected = "d1:md11:ut_metadatai1e6:ut_pexi2ee13:metadata_sizei31235e1:pi6881e4:reqqi250e1:v14:SmartShare 0.16:yourip4:"u8.ToArray()
            .Concat(new byte[] { 127, 0, 0, 1 })
            .Append((byte)'e')
            .ToArray();
        Assert.Equal(Encoding.Latin1.GetString(expected), Encoding.Latin1.GetString(handshake.Encode()));
    }

    [Fact]
    public void Round_trips_every_field()
    {
        var handshake = new ExtensionHandshake(
            new Dictionary<string, byte> { ["ut_metadata"] = 3, ["lt_donthave"] = 255 },
            MetadataSize: int.MaxValue,
            Client: "µTorrent 3.5",
            RequestQueue: 1,
            ListenPort: 65535,
            YourIp: IPAddress.Parse("2001:db8::1"));

        var decoded = ExtensionHandshake.Decode(new ReadOnlySequence<byte>(handshake.Encode()));

        Assert.Equal(handshake.Messages.OrderBy(pair => pair.Key), decoded.Messages.OrderBy(pair => pair.Key));
        Assert.Equal(handshake with { Messages = decoded.Messages }, decoded);
    }

    [Fact]
    public void Reads_a_minimal_handshake_split_across_segments()
    {
        var decoded = ExtensionHandshake.Decode(Sequences.Bytewise("d1:md11:ut_metadatai2eee"u8.ToArray()));

        Assert.Equal(2, decoded.Messages["ut_metadata"]);
        Assert.Null(decoded.MetadataSize);
        Assert.Null(decoded.Client);
        Assert.Null(decoded.RequestQueue);
        Assert.Null(decoded.ListenPort);
        Assert.Null(decoded.YourIp);
    }

    [Fact]
    public void Leaves_out_disabled_extensions_and_ignores_unknown_or_mistyped_keys()
    {
        var payload = "d1:ai1e1:md8:too_highi256e11:ut_metadatai1e6:ut_pexi0e5:wrong1:xe13:metadata_size3:abc1:pi0e4:reqqi-1e1:vi5e6:yourip3:abce"u8.ToArray();

        var decoded = ExtensionHandshake.Decode(new ReadOnlySequence<byte>(payload));

        Assert.Equal(new KeyValuePair<string, byte>("ut_metadata", 1), Assert.Single(decoded.Messages));
        Assert.Equal(new ExtensionHandshake(decoded.Messages, null, null, null, null, null), decoded);
    }

    [Theory]
    [InlineData("le")]
    [InlineData("i1e")]
    [InlineData("d1:mi1ee")]
    [InlineData("d1:mle")]
    [InlineData("d1:md")]
    [InlineData("d1:pi1e1:ai1ee")]
    [InlineData("d1:ai1e1:ai2ee")]
    [InlineData("d1:md1:ad1:bd1:cd1:di1eeeeee")]
    [InlineData("")]
    [InlineData("de junk")]
    public void Refuses_what_is_not_a_strict_dictionary_with_a_dictionary_m(string text)
    {
        Assert.Throws<PeerWireFormatException>(() => ExtensionHandshake.Decode(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(text))));
    }

    [Fact]
    public void Refuses_a_payload_over_64_KiB_without_decoding_it()
    {
        var payload = new byte[ExtensionHandshake.MaxPayloadLength + 1];

        var error = Assert.Throws<PeerWireFormatException>(() => ExtensionHandshake.Decode(new ReadOnlySequence<byte>(payload)));
        Assert.Contains("65536", error.Message, StringComparison.Ordinal);
    }
}
