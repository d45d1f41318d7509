using FsCheck;
using FsCheck.Fluent;
using SmartShare.BitTorrent.Utp;

namespace SmartShare.BitTorrent.Tests.Utp;

public sealed class UtpCodecTests
{
    // The SYN libtorrent 2.0.8 sent when told to reach a peer over uTP only (captured on loopback): type 4, version 1,
    // no extension, receive id 0xfdbc, a timestamp, no delay sample yet, a window of 0, sequence 0x10bb, ack 0.
    private const string LibtorrentSyn = "4100fdbc5ae943c2000000000000000010bb0000";

    [Fact]
    public void Reads_the_syn_libtorrent_sends_and_writes_it_back_byte_for_byte()
    {
        var bytes = Convert.FromHexString(LibtorrentSyn);
        Assert.True(UtpCodec.LooksLikeUtp(bytes));

        var packet = UtpCodec.Read(bytes);
        Assert.Equal(new UtpHeader(UtpPacketType.Syn, 0xfdbc, 0x5ae943c2, 0, 0, 0x10bb, 0), packet.Header);
        Assert.True(packet.SelectiveAck.IsEmpty);
        Assert.True(packet.Payload.IsEmpty);

        var written = new byte[UtpCodec.Length(0, 0)];
        Assert.Equal(20, UtpCodec.Write(written, packet.Header, [], []));
        Assert.Equal(bytes, written);
    }

    [Fact]
    public void A_state_packet_with_a_selective_ack_and_a_data_packet_round_trip()
    {
        var header = new UtpHeader(UtpPacketType.State, 7, 1_000_000, 250, 1 << 20, 300, 41);
        byte[] mask = [0b0000_0101, 0, 0, 0x80];
        var buffer = new byte[64];
        var length = UtpCodec.Write(buffer, header, mask, []);
        Assert.Equal(26, length);
        Assert.Equal("21010007000f4240000000fa00100000012c0029" + "0004" + "05000080", Convert.ToHexString(buffer, 0, length).ToLowerInvariant());

        var packet = UtpCodec.Read(buffer.AsSpan(0, length));
        Assert.Equal(header, packet.Header);
        Assert.Equal(mask, packet.SelectiveAck.ToArray());

        // Bit i stands for ack_nr + 2 + i, least significant bit of each byte first: 43 and 45 arrived, and 43 + 31.
        Assert.True(UtpSequence.SelectivelyAcked(packet.SelectiveAck, 41, 43));
        Assert.False(UtpSequence.SelectivelyAcked(packet.SelectiveAck, 41, 44));
        Assert.True(UtpSequence.SelectivelyAcked(packet.SelectiveAck, 41, 45));
        Assert.True(UtpSequence.SelectivelyAcked(packet.SelectiveAck, 41, 43 + 31));
        Assert.False(UtpSequence.SelectivelyAcked(packet.SelectiveAck, 41, 42));
        Assert.False(UtpSequence.SelectivelyAcked(packet.SelectiveAck, 41, 43 + 32));

        var data = new UtpHeader(UtpPacketType.Data, 8, 5, 6, 7, 65535, 9);
        length = UtpCodec.Write(buffer, data, [], "hello"u8);
        var read = UtpCodec.Read(buffer.AsSpan(0, length));
        Assert.Equal(data, read.Header);
        Assert.Equal("hello"u8.ToArray(), read.Payload.ToArray());
    }

    [Fact]
    public void Unknown_extensions_are_skipped_and_the_selective_ack_found_behind_them()
    {
        // SYN with libutp's old 8-byte "extension bits" (type 2), chained to a selective ACK, then a payload byte.
        var bytes = Convert.FromHexString("4102000100000001000000020000000300040005" + "0108" + "0000000000000000" + "0004" + "ff000000" + "aa");
        var packet = UtpCodec.Read(bytes);
        Assert.Equal(UtpPacketType.Syn, packet.Header.Type);
        Assert.Equal(new byte[] { 0xff, 0, 0, 0 }, packet.SelectiveAck.ToArray());
        Assert.Equal(new byte[] { 0xaa }, packet.Payload.ToArray());
    }

    [Fact]
    public void A_selective_ack_of_any_length_is_read_as_libtorrent_sends_it()
    {
        // libtorrent 2.0 sends as many mask bytes as it needs (here 3), not BEP 29's multiple of 4.
        var bytes = Convert.FromHexString("2101000100000001000000020000000300040005" + "0003" + "0501ff");
        var packet = UtpCodec.Read(bytes);
        Assert.Equal(new byte[] { 0x05, 0x01, 0xff }, packet.SelectiveAck.ToArray());
        Assert.True(packet.Payload.IsEmpty);
    }

    [Theory]
    [InlineData("41000001", "shorter than the 20-byte header")]
    [InlineData("4200000100000001000000020000000300040005", "version 2")]
    [InlineData("5100000100000001000000020000000300040005", "unknown type 5")]
    [InlineData("4101000100000001000000020000000300040005", "cut off after its type")]
    [InlineData("410100010000000100000002000000030004000500", "cut off after its type")]
    [InlineData("41010001000000010000000200000003000400050008ffff", "claims 8 bytes; 2 follow")]
    [InlineData("4101000100000001000000020000000300040005010400000000" + "0004ffffffff", "two selective ACKs")]
    [InlineData("4102000100000001000000020000000300040005" + "0200" + "0200" + "0200" + "0200" + "0000", "more than 4 extensions")]
    public void Malformed_packets_raise_a_sentence(string hex, string expected)
    {
        var bytes = Convert.FromHexString(hex);
        var error = Assert.Throws<UtpFormatException>(() => UtpCodec.Read(bytes));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_selective_ack_of_one_byte_as_libtorrent_sends_is_read()
    {
        // A STATE packet libtorrent 2.0.8 sent on loopback: extension 1 with a 1-byte mask.
        var packet = UtpCodec.Read(Convert.FromHexString("2101E2131E6644D21E3346CF000FF538586937B8000100"));

        Assert.Equal(UtpPacketType.State, packet.Header.Type);
        Assert.Equal(new byte[] { 0 }, packet.SelectiveAck.ToArray());
        Assert.True(packet.Payload.IsEmpty);
    }

    [Fact]
    public void Dht_messages_on_the_shared_port_are_not_taken_for_utp()
    {
        Assert.False(UtpCodec.LooksLikeUtp("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe"u8));
        Assert.False(UtpCodec.LooksLikeUtp(Convert.FromHexString("41000001")));
        for (var first = 0; first < 256; first++)
        {
            var datagram = new byte[20];
            datagram[0] = (byte)first;
            Assert.Equal((first & 0x0f) == 1 && first >> 4 <= 4, UtpCodec.LooksLikeUtp(datagram));
        }
    }

    [Fact]
    public void Sequence_numbers_and_timestamps_compare_across_the_wrap()
    {
        Assert.True(UtpSequence.Before((ushort)65535, (ushort)0));
        Assert.False(UtpSequence.Before((ushort)0, (ushort)65535));
        Assert.Equal(2, UtpSequence.Distance(65535, 1));
        Assert.Equal(-2, UtpSequence.Distance(1, 65535));
        Assert.True(UtpSequence.Before(uint.MaxValue - 10, 5u));
        Assert.False(UtpSequence.Before(5u, uint.MaxValue - 10));
        Assert.True(UtpSequence.SelectivelyAcked([0x01, 0, 0, 0], 65534, 0));
    }

    [Fact]
    public void Random_bytes_raise_only_the_format_exception_and_valid_packets_round_trip()
    {
        var random = Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), bytes =>
        {
            try
            {
                var packet = UtpCodec.Read(bytes);
                Assert.True(packet.Payload.Length <= bytes.Length - UtpCodec.HeaderLength);
            }
            catch (UtpFormatException)
            {
            }
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(3000), random);

        // Random bytes behind a valid first byte reach the extension chain.
        var behind = Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), Gen.Choose(0, 4).ToArbitrary(), (tail, type) =>
        {
            byte[] bytes = [(byte)((type << 4) | 1), .. tail];
            try
            {
                _ = UtpCodec.Read(bytes);
            }
            catch (UtpFormatException)
            {
            }
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(3000), behind);

        var roundTrip = Prop.ForAll(
            ArbMap.Default.ArbFor<uint>(), ArbMap.Default.ArbFor<byte[]>(),
            (stamp, payload) =>
            {
                var type = (int)(stamp % 5);
                var maskWords = (int)((stamp >> 3) % 9);
                var header = new UtpHeader((UtpPacketType)type, (ushort)stamp, stamp, ~stamp, stamp / 3, (ushort)(stamp >> 16), (ushort)(stamp >> 5));
                var mask = new byte[maskWords * 4];
                new Random((int)stamp).NextBytes(mask);
                var buffer = new byte[UtpCodec.Length(mask.Length, payload.Length)];
                Assert.Equal(buffer.Length, UtpCodec.Write(buffer, header, mask, payload));
                var packet = UtpCodec.Read(buffer);
                Assert.Equal(header, packet.Header);
                Assert.Equal(mask, packet.SelectiveAck.ToArray());
                Assert.Equal(payload, packet.Payload.ToArray());
            });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(1000), roundTrip);
    }
}
