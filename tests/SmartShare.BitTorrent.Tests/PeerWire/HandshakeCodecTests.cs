using System.Buffers;
using SmartShare.BitTorrent.PeerWire;

namespace SmartShare.BitTorrent.Tests.PeerWire;

public class HandshakeCodecTests
{
    private static readonly InfoHash Hash = InfoHash.Parse("0123456789abcdef0123456789abcdef01234567");
    private static readonly PeerId Id = PeerId.FromBytes("-SS0001-abcdefghijkl"u8);

    [Fact]
    public void Writes_the_bep3_layout_with_reserved_bits()
    {
        var bytes = new byte[HandshakeCodec.Length];
        HandshakeCodec.Write(bytes, new Handshake(Hash, Id, PeerCapabilities.ExtensionProtocol | PeerCapabilities.Fast | PeerCapabilities.Dht));

        byte[] expected =
        [
            19, .. "BitTorrent protocol"u8,
            0, 0, 0, 0, 0, 0x10, 0, 0x05,
            .. Hash.ToArray(),
            .. "-SS0001-abcdefghijkl"u8,
        ];
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData(PeerCapabilities.None)]
    [InlineData(PeerCapabilities.ExtensionProtocol)]
    [InlineData(PeerCapabilities.Fast)]
    [InlineData(PeerCapabilities.Dht)]
    [InlineData(PeerCapabilities.ExtensionProtocol | PeerCapabilities.Fast | PeerCapabilities.Dht)]
    public void Round_trips_even_one_byte_per_segment(PeerCapabilities capabilities)
    {
        var handshake = new Handshake(Hash, Id, capabilities);
        var bytes = new byte[HandshakeCodec.Length + 3];
        HandshakeCodec.Write(bytes, handshake);

        Assert.True(HandshakeCodec.TryRead(new ReadOnlySequence<byte>(bytes), out var read));
        Assert.Equal(handshake, read);
        Assert.True(HandshakeCodec.TryRead(Sequences.Bytewise(bytes), out read));
        Assert.Equal(handshake, read);
    }

    [Fact]
    public void Ignores_reserved_bits_it_does_not_know()
    {
        var bytes = new byte[HandshakeCodec.Length];
        HandshakeCodec.Write(bytes, new Handshake(Hash, Id, PeerCapabilities.None));
        bytes.AsSpan(20, 8).Fill(0xff);
        bytes[25] = 0xef;
        bytes[27] = 0xfa;

        Assert.True(HandshakeCodec.TryRead(new ReadOnlySequence<byte>(bytes), out var read));
        Assert.Equal(PeerCapabilities.None, read.Capabilities);
    }

    [Fact]
    public void Waits_for_all_68_bytes()
    {
        var bytes = new byte[HandshakeCodec.Length];
        HandshakeCodec.Write(bytes, new Handshake(Hash, Id, PeerCapabilities.Fast));

        for (var length = 0; length < HandshakeCodec.Length; length++)
        {
            Assert.False(HandshakeCodec.TryRead(new ReadOnlySequence<byte>(bytes, 0, length), out _));
        }
    }

    [Fact]
    public void Refuses_another_protocol_as_soon_as_its_first_bytes_differ()
    {
        var http = "GET / HTTP/1.1\r\n"u8.ToArray();
        Assert.Throws<PeerWireFormatException>(() => HandshakeCodec.TryRead(new ReadOnlySequence<byte>(http), out _));

        var bytes = new byte[HandshakeCodec.Length];
        HandshakeCodec.Write(bytes, new Handshake(Hash, Id, PeerCapabilities.None));
        bytes[4] = (byte)'t';
        Assert.Throws<PeerWireFormatException>(() => HandshakeCodec.TryRead(new ReadOnlySequence<byte>(bytes), out _));
    }
}
