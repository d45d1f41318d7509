using System.Buffers;
using SmartShare.BitTorrent.PeerWire;

namespace SmartShare.BitTorrent.Tests.PeerWire;

public class PeerMessageCodecTests
{
    private const int Limit = 256 * 1024;

    public static TheoryData<string> MessageNames => new(Samples.Keys);

    // Every message this codec writes, with its exact bytes as BEP 3, 5, 6 and 10 spell them.
    private static Dictionary<string, (Action<IBufferWriter<byte>> Write, byte[] Bytes)> Samples { get; } = new()
    {
        ["keep-alive"] = (w => PeerMessageCodec.Write(w, PeerMessageType.KeepAlive), [0, 0, 0, 0]),
        ["choke"] = (w => PeerMessageCodec.Write(w, PeerMessageType.Choke), [0, 0, 0, 1, 0]),
        ["unchoke"] = (w => PeerMessageCodec.Write(w, PeerMessageType.Unchoke), [0, 0, 0, 1, 1]),
        ["interested"] = (w => PeerMessageCodec.Write(w, PeerMessageType.Interested), [0, 0, 0, 1, 2]),
        ["not interested"] = (w => PeerMessageCodec.Write(w, PeerMessageType.NotInterested), [0, 0, 0, 1, 3]),
        ["have all"] = (w => PeerMessageCodec.Write(w, PeerMessageType.HaveAll), [0, 0, 0, 1, 0x0e]),
        ["have none"] = (w => PeerMessageCodec.Write(w, PeerMessageType.HaveNone), [0, 0, 0, 1, 0x0f]),
        ["have"] = (w => PeerMessageCodec.WriteIndex(w, PeerMessageType.Have, 0x01020304), [0, 0, 0, 5, 4, 1, 2, 3, 4]),
        ["suggest"] = (w => PeerMessageCodec.WriteIndex(w, PeerMessageType.Suggest, 7), [0, 0, 0, 5, 0x0d, 0, 0, 0, 7]),
        ["allowed fast"] = (w => PeerMessageCodec.WriteIndex(w, PeerMessageType.AllowedFast, int.MaxValue), [0, 0, 0, 5, 0x11, 0x7f, 0xff, 0xff, 0xff]),
        ["bitfield"] = (w => PeerMessageCodec.WriteBitfield(w, [0xff, 0x80]), [0, 0, 0, 3, 5, 0xff, 0x80]),
        ["empty bitfield"] = (w => PeerMessageCodec.WriteBitfield(w, []), [0, 0, 0, 1, 5]),
        ["request"] = (w => PeerMessageCodec.WriteBlockRequest(w, PeerMessageType.Request, 1, 0x4000, 0x4000),
            [0, 0, 0, 0x0d, 6, 0, 0, 0, 1, 0, 0, 0x40, 0, 0, 0, 0x40, 0]),
        ["cancel"] = (w => PeerMessageCodec.WriteBlockRequest(w, PeerMessageType.Cancel, 2, 0, 0x4000),
            [0, 0, 0, 0x0d, 8, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0x40, 0]),
        ["reject"] = (w => PeerMessageCodec.WriteBlockRequest(w, PeerMessageType.Reject, 3, 0x8000, 100),
            [0, 0, 0, 0x0d, 0x10, 0, 0, 0, 3, 0, 0, 0x80, 0, 0, 0, 0, 100]),
        ["piece"] = (w => PeerMessageCodec.WritePiece(w, 9, 0x4000, [0xaa, 0xbb, 0xcc]),
            [0, 0, 0, 0x0c, 7, 0, 0, 0, 9, 0, 0, 0x40, 0, 0xaa, 0xbb, 0xcc]),
        ["empty piece"] = (w => PeerMessageCodec.WritePiece(w, 0, 0, []), [0, 0, 0, 9, 7, 0, 0, 0, 0, 0, 0, 0, 0]),
        ["port"] = (w => PeerMessageCodec.WritePort(w, 6881), [0, 0, 0, 3, 9, 0x1a, 0xe1]),
        ["extended handshake"] = (w => PeerMessageCodec.WriteExtended(w, 0, "de"u8), [0, 0, 0, 4, 0x14, 0, (byte)'d', (byte)'e']),
        ["extended"] = (w => PeerMessageCodec.WriteExtended(w, 3, []), [0, 0, 0, 2, 0x14, 3]),
    };

    [Theory]
    [MemberData(nameof(MessageNames))]
    public void Writes_the_exact_bytes_of_the_beps(string name)
    {
        var (write, bytes) = Samples[name];
        var writer = new ArrayBufferWriter<byte>();
        write(writer);

        Assert.Equal(bytes, writer.WrittenSpan.ToArray());
    }

    [Theory]
    [MemberData(nameof(MessageNames))]
    public void Reads_the_same_message_however_it_is_split(string name)
    {
        var bytes = Samples[name].Bytes;
        var whole = Describe(ReadOne(new ReadOnlySequence<byte>(bytes)));

        for (var cut = 1; cut < bytes.Length; cut++)
        {
            Assert.Equal(whole, Describe(ReadOne(Sequences.Split(bytes, cut))));
        }

        Assert.Equal(whole, Describe(ReadOne(Sequences.Bytewise(bytes))));
        Assert.Equal(whole, Describe(ReadOne(Sequences.Split(bytes, 3, 5, 9))));
    }

    [Theory]
    [MemberData(nameof(MessageNames))]
    public void Waits_for_the_whole_message(string name)
    {
        var bytes = Samples[name].Bytes;
        for (var length = 0; length < bytes.Length; length++)
        {
            var buffer = Sequences.Bytewise(bytes[..length]);
            Assert.False(PeerMessageCodec.TryRead(ref buffer, Limit, out _));
            Assert.Equal(length, buffer.Length);
        }
    }

    [Fact]
    public void Round_trips_the_fields_of_every_message()
    {
        Assert.Equal(PeerMessageType.KeepAlive, Read(Samples["keep-alive"].Bytes).Type);
        foreach (var name in new[] { "choke", "unchoke", "interested", "not interested", "have all", "have none" })
        {
            var message = Read(Samples[name].Bytes);
            Assert.Equal((0, 0, 0, 0L), (message.Index, message.Begin, message.Length, message.Payload.Length));
        }

        Assert.Equal((PeerMessageType.Have, 0x01020304), Fields(Read(Samples["have"].Bytes)));
        Assert.Equal((PeerMessageType.Suggest, 7), Fields(Read(Samples["suggest"].Bytes)));
        Assert.Equal((PeerMessageType.AllowedFast, int.MaxValue), Fields(Read(Samples["allowed fast"].Bytes)));

        var request = Read(Samples["request"].Bytes);
        Assert.Equal((PeerMessageType.Request, 1, 0x4000, 0x4000), (request.Type, request.Index, request.Begin, request.Length));
        var cancel = Read(Samples["cancel"].Bytes);
        Assert.Equal((PeerMessageType.Cancel, 2, 0, 0x4000), (cancel.Type, cancel.Index, cancel.Begin, cancel.Length));
        var reject = Read(Samples["reject"].Bytes);
        Assert.Equal((PeerMessageType.Reject, 3, 0x8000, 100), (reject.Type, reject.Index, reject.Begin, reject.Length));

        var piece = Read(Samples["piece"].Bytes);
        Assert.Equal((PeerMessageType.Piece, 9, 0x4000, 3), (piece.Type, piece.Index, piece.Begin, piece.Length));
        Assert.Equal([0xaa, 0xbb, 0xcc], piece.Payload.ToArray());

        var bitfield = Read(Samples["bitfield"].Bytes);
        Assert.Equal(PeerMessageType.Bitfield, bitfield.Type);
        Assert.Equal([0xff, 0x80], bitfield.Payload.ToArray());

        var port = Read(Samples["port"].Bytes);
        Assert.Equal((PeerMessageType.Port, (ushort)6881), (port.Type, port.Port));

        var extended = Read(Samples["extended handshake"].Bytes);
        Assert.Equal((PeerMessageType.Extended, (byte)0), (extended.Type, extended.ExtendedId));
        Assert.Equal("de"u8.ToArray(), extended.Payload.ToArray());
    }

    [Fact]
    public void Reads_consecutive_messages_and_leaves_the_rest()
    {
        var writer = new ArrayBufferWriter<byte>();
        PeerMessageCodec.Write(writer, PeerMessageType.Interested);
        PeerMessageCodec.WritePiece(writer, 1, 2, new byte[100]);
        PeerMessageCodec.Write(writer, PeerMessageType.KeepAlive);
        var bytes = writer.WrittenSpan.ToArray();
        var buffer = Sequences.Split(bytes, 7, 50, 111);

        Assert.True(PeerMessageCodec.TryRead(ref buffer, Limit, out var first));
        Assert.Equal(PeerMessageType.Interested, first.Type);
        Assert.True(PeerMessageCodec.TryRead(ref buffer, Limit, out var second));
        Assert.Equal((PeerMessageType.Piece, 100), (second.Type, second.Length));
        Assert.Equal(100, second.Payload.Length);
        Assert.True(PeerMessageCodec.TryRead(ref buffer, Limit, out var third));
        Assert.Equal(PeerMessageType.KeepAlive, third.Type);
        Assert.True(buffer.IsEmpty);
        Assert.False(PeerMessageCodec.TryRead(ref buffer, Limit, out _));
    }

    [Fact]
    public void Returns_unknown_ids_with_their_body()
    {
        var message = Read([0, 0, 0, 3, 0x42, 1, 2]);

        Assert.Equal(PeerMessageType.Unknown, message.Type);
        Assert.Equal(0x42, message.ExtendedId);
        Assert.Equal([1, 2], message.Payload.ToArray());
    }

    [Theory]
    [InlineData(new byte[] { 0x80, 0, 0, 0 })]
    [InlineData(new byte[] { 0xff, 0xff, 0xff, 0xff })]
    [InlineData(new byte[] { 0, 4, 0, 1 })]
    public void Refuses_a_huge_length_before_any_of_the_body_arrives(byte[] prefix)
    {
        var buffer = new ReadOnlySequence<byte>(prefix);

        var error = Assert.Throws<PeerWireFormatException>(() => PeerMessageCodec.TryRead(ref buffer, Limit, out _));
        Assert.Contains("the limit is 262144", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Accepts_a_length_exactly_at_the_limit()
    {
        var bytes = new byte[4 + 10];
        bytes[3] = 10;
        bytes[4] = 5;
        var buffer = new ReadOnlySequence<byte>(bytes);

        Assert.True(PeerMessageCodec.TryRead(ref buffer, 10, out var message));
        Assert.Equal(9, message.Payload.Length);
        buffer = new ReadOnlySequence<byte>(bytes);
        Assert.Throws<PeerWireFormatException>(() => PeerMessageCodec.TryRead(ref buffer, 9, out _));
    }

    [Theory]
    [InlineData(0, 2)]
    [InlineData(1, 5)]
    [InlineData(2, 2)]
    [InlineData(3, 13)]
    [InlineData(14, 2)]
    [InlineData(15, 5)]
    [InlineData(4, 1)]
    [InlineData(4, 4)]
    [InlineData(4, 6)]
    [InlineData(13, 9)]
    [InlineData(17, 13)]
    [InlineData(6, 12)]
    [InlineData(6, 14)]
    [InlineData(8, 5)]
    [InlineData(16, 17)]
    [InlineData(9, 2)]
    [InlineData(9, 4)]
    [InlineData(7, 8)]
    [InlineData(7, 1)]
    [InlineData(20, 1)]
    public void Refuses_a_message_of_the_wrong_size_for_its_id(byte id, int length)
    {
        var bytes = new byte[4 + length];
        bytes[3] = (byte)length;
        bytes[4] = id;
        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.Throws<PeerWireFormatException>(() => PeerMessageCodec.TryRead(ref buffer, Limit, out _));
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 0, 5, 4, 0x80, 0, 0, 0 })]
    [InlineData(new byte[] { 0, 0, 0, 5, 0x11, 0xff, 0xff, 0xff, 0xff })]
    [InlineData(new byte[] { 0, 0, 0, 13, 6, 0, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 1 })]
    [InlineData(new byte[] { 0, 0, 0, 13, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0 })]
    [InlineData(new byte[] { 0, 0, 0, 13, 16, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 })]
    [InlineData(new byte[] { 0, 0, 0, 9, 7, 0, 0, 0, 0, 0x90, 0, 0, 0 })]
    public void Refuses_indexes_offsets_and_lengths_of_2_to_the_31_or_more(byte[] bytes)
    {
        var buffer = new ReadOnlySequence<byte>(bytes);

        Assert.Throws<PeerWireFormatException>(() => PeerMessageCodec.TryRead(ref buffer, Limit, out _));
    }

    [Fact]
    public void The_piece_header_matches_a_whole_piece_message()
    {
        var block = Enumerable.Range(0, 16 * 1024).Select(i => (byte)i).ToArray();
        var whole = new ArrayBufferWriter<byte>();
        PeerMessageCodec.WritePiece(whole, 5, 32 * 1024, block);

        var split = new byte[PeerMessageCodec.PieceHeaderLength + block.Length];
        PeerMessageCodec.WritePieceHeader(split, 5, 32 * 1024, block.Length);
        block.CopyTo(split, PeerMessageCodec.PieceHeaderLength);

        Assert.Equal(whole.WrittenSpan.ToArray(), split);
        var message = Read(split);
        Assert.True(message.Payload.ToArray().AsSpan().SequenceEqual(block));
    }

    [Fact]
    public void Writers_refuse_types_they_do_not_write_and_negative_numbers()
    {
        var writer = new ArrayBufferWriter<byte>();

        Assert.Throws<ArgumentException>(() => PeerMessageCodec.Write(writer, PeerMessageType.Have));
        Assert.Throws<ArgumentException>(() => PeerMessageCodec.WriteIndex(writer, PeerMessageType.Request, 1));
        Assert.Throws<ArgumentException>(() => PeerMessageCodec.WriteBlockRequest(writer, PeerMessageType.Piece, 1, 2, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => PeerMessageCodec.WriteIndex(writer, PeerMessageType.Have, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => PeerMessageCodec.WriteBlockRequest(writer, PeerMessageType.Request, 0, -1, 3));
        Assert.Equal(0, writer.WrittenCount);
    }

    internal static PeerMessage Read(byte[] bytes) => ReadOne(new ReadOnlySequence<byte>(bytes));

    private static PeerMessage ReadOne(ReadOnlySequence<byte> buffer)
    {
        Assert.True(PeerMessageCodec.TryRead(ref buffer, Limit, out var message));
        Assert.True(buffer.IsEmpty);
        return message;
    }

    private static (PeerMessageType, int) Fields(PeerMessage message) => (message.Type, message.Index);

    private static string Describe(PeerMessage message) =>
        $"{message.Type} {message.Index} {message.Begin} {message.Length} {message.Port} {message.ExtendedId} {Convert.ToHexString(message.Payload.ToArray())}";
}
