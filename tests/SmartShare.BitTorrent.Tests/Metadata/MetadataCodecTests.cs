using System.Buffers;
using System.Net;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.PeerWire;

namespace SmartShare.BitTorrent.Tests.Metadata;

public class MetadataCodecTests
{
    private static readonly byte[] Alphabet = "ilde0123456789:-_msgtypiecotalz"u8.ToArray().Concat(new byte[] { 0, 0xff }).ToArray();

    [Fact]
    public void Request_data_and_reject_round_trip()
    {
        Assert.Equal("d8:msg_typei0e5:piecei3ee", Encoding.ASCII.GetString(MetadataMessage.EncodeRequest(3)));
        Assert.Equal(new MetadataMessage(MetadataMessageType.Request, 3, 0, default).Type, Decode(MetadataMessage.EncodeRequest(3)).Type);
        Assert.Equal(7, Decode(MetadataMessage.EncodeReject(7)).Piece);
        Assert.Equal(MetadataMessageType.Reject, Decode(MetadataMessage.EncodeReject(7)).Type);

        var size = (2 * MetadataMessage.BlockSize) + 100;
        var block = EngineBytes(100);
        var data = Decode(MetadataMessage.EncodeData(2, size, block));
        Assert.Equal(MetadataMessageType.Data, data.Type);
        Assert.Equal(2, data.Piece);
        Assert.Equal(size, data.TotalSize);
        Assert.Equal(block, data.Block.ToArray());

        var full = EngineBytes(MetadataMessage.BlockSize);
        Assert.Equal(full, Decode(MetadataMessage.EncodeData(0, size, full)).Block.ToArray());
    }

    [Fact]
    public void Unknown_message_types_decode_as_unknown()
    {
        Assert.Equal(MetadataMessageType.Unknown, Decode("d8:msg_typei9e5:piecei0ee"u8.ToArray()).Type);
    }

    [Theory]
    [InlineData("d5:piecei0ee", "msg_type")]
    [InlineData("d8:msg_typei0ee", "piece")]
    [InlineData("d8:msg_typei0e5:piecei-1ee", "piece -1")]
    [InlineData("d8:msg_typei0e5:piecei1024ee", "piece 1024")]
    [InlineData("d8:msg_typei1e5:piecei0ee", "total_size")]
    [InlineData("d8:msg_typei1e5:piecei0e10:total_sizei16777217ee", "limit")]
    [InlineData("d8:msg_typei1e5:piecei0e10:total_sizei0ee", "limit")]
    [InlineData("d8:msg_typei1e5:piecei1e10:total_sizei16384eexx", "has 1 pieces")]
    [InlineData("d8:msg_typei1e5:piecei0e10:total_sizei3eexx", "should carry 3")]
    [InlineData("d8:msg_typei1e5:piecei0e10:total_sizei3eexxxx", "should carry 3")]
    [InlineData("l8:msg_typee", "dictionary")]
    [InlineData("d8:msg_typei1e", "bencode")]
    [InlineData("d5:piecei0e8:msg_typei0ee", "bencode")]
    public void Bad_messages_throw_the_format_exception(string text, string reason)
    {
        var e = Assert.Throws<PeerWireFormatException>(() => Decode(Encoding.ASCII.GetBytes(text)));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_full_block_must_be_exactly_16_KiB()
    {
        var size = 3 * MetadataMessage.BlockSize;
        Assert.Throws<PeerWireFormatException>(() => Decode(MetadataMessage.EncodeData(1, size, EngineBytes(MetadataMessage.BlockSize - 1))));
        Assert.Throws<PeerWireFormatException>(() => Decode(MetadataMessage.EncodeData(1, size, EngineBytes(MetadataMessage.BlockSize + 1))));
    }

    [Fact]
    public void Random_bytes_decode_or_throw_only_the_format_exception()
    {
        var bencodeLike = Gen.ArrayOf(Gen.Elements(Alphabet)).Select(bytes => "d8:msg_typei1e5:piecei0e"u8.ToArray().Concat(bytes).ToArray());
        var inputs = Gen.OneOf(ArbMap.Default.ArbFor<byte[]>().Generator, bencodeLike, Gen.ArrayOf(Gen.Elements(Alphabet)));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(5000), Prop.ForAll(inputs.ToArbitrary(), bytes =>
        {
            try
            {
                var message = Decode(bytes);
                return message.Type != MetadataMessageType.Data
                    || message.Block.Length == MetadataMessage.PieceLength(message.Piece, message.TotalSize);
            }
            catch (PeerWireFormatException)
            {
                return true;
            }
        }));
    }

    [Fact]
    public void Pex_round_trips_both_families_with_flags()
    {
        var message = new PexMessage(
            [
                new PexPeer(IPEndPoint.Parse("1.2.3.4:5"), PexPeerTraits.Seed | PexPeerTraits.Reachable),
                new PexPeer(IPEndPoint.Parse("[2001:db8::1]:6881"), PexPeerTraits.SupportsUtp),
                new PexPeer(IPEndPoint.Parse("[::ffff:9.8.7.6]:80"), PexPeerTraits.None),
            ],
            [IPEndPoint.Parse("5.6.7.8:9"), IPEndPoint.Parse("[2001:db8::2]:1")]);

        var decoded = PexMessage.Decode(new ReadOnlySequence<byte>(message.Encode()));

        Assert.Equal(
            [new PexPeer(IPEndPoint.Parse("1.2.3.4:5"), PexPeerTraits.Seed | PexPeerTraits.Reachable), new PexPeer(IPEndPoint.Parse("9.8.7.6:80"), PexPeerTraits.None), new PexPeer(IPEndPoint.Parse("[2001:db8::1]:6881"), PexPeerTraits.SupportsUtp)],
            decoded.Added);
        Assert.Equal([IPEndPoint.Parse("5.6.7.8:9"), IPEndPoint.Parse("[2001:db8::2]:1")], decoded.Dropped);
    }

    [Fact]
    public void Pex_honours_at_most_50_added_and_50_dropped()
    {
        var many = Enumerable.Range(1, 120).Select(i => new IPEndPoint(new IPAddress([10, 0, (byte)(i / 256), (byte)i]), 1000 + i)).ToList();
        var encoded = new PexMessage([.. many.Select(p => new PexPeer(p, PexPeerTraits.None))], many).Encode();
        var decoded = PexMessage.Decode(new ReadOnlySequence<byte>(encoded));
        Assert.Equal(many.Take(50), decoded.Added.Select(p => p.EndPoint));
        Assert.Equal(many.Take(50), decoded.Dropped);

        // A foreign sender may put more in one message: the excess is ignored, not an error.
        var compact = new byte[120 * 6];
        for (var i = 0; i < 120; i++)
        {
            compact[(i * 6) + 3] = (byte)i;
            compact[(i * 6) + 5] = 1;
        }

        var big = Encoding.ASCII.GetBytes("d5:added720:").Concat(compact).Concat("7:dropped720:"u8.ToArray()).Concat(compact).Concat("e"u8.ToArray()).ToArray();
        var read = PexMessage.Decode(new ReadOnlySequence<byte>(big));
        Assert.Equal(50, read.Added.Count);
        Assert.Equal(50, read.Dropped.Count);
    }

    [Theory]
    [InlineData("d5:added5:12345e")]
    [InlineData("d6:added67:1234567e")]
    [InlineData("d5:addedi3ee")]
    [InlineData("le")]
    [InlineData("d5:added")]
    public void Bad_pex_throws_the_format_exception(string text)
    {
        Assert.Throws<PeerWireFormatException>(() => PexMessage.Decode(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(text))));
    }

    [Fact]
    public void Oversized_pex_is_refused()
    {
        var padding = new string('x', PexMessage.MaxPayloadLength);
        Assert.Throws<PeerWireFormatException>(() => PexMessage.Decode(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes($"d1:z{padding.Length}:{padding}e"))));
    }

    [Fact]
    public void Random_bytes_decode_as_pex_or_throw_only_the_format_exception()
    {
        var alphabet = "ilde0123456789:-adedrop6.f"u8.ToArray().Concat(new byte[] { 0, 1, 0xff }).ToArray();
        var bencodeLike = Gen.ArrayOf(Gen.Elements(alphabet)).Select(bytes => "d5:added"u8.ToArray().Concat(bytes).ToArray());
        var inputs = Gen.OneOf(ArbMap.Default.ArbFor<byte[]>().Generator, bencodeLike, Gen.ArrayOf(Gen.Elements(alphabet)));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(5000), Prop.ForAll(inputs.ToArbitrary(), bytes =>
        {
            try
            {
                var message = PexMessage.Decode(new ReadOnlySequence<byte>(bytes));
                return message.Added.Count <= 50 && message.Dropped.Count <= 50 && message.Added.All(p => p.EndPoint.Port > 0);
            }
            catch (PeerWireFormatException)
            {
                return true;
            }
        }));
    }

    [Fact]
    public void Random_peer_lists_round_trip_through_pex()
    {
        var endPoints =
            from v6 in ArbMap.Default.ArbFor<bool>().Generator
            from address in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), 16)
            from port in Gen.Choose(1, 65535)
            select new IPEndPoint(new IPAddress(v6 ? address : address[..4]), port);
        var samples = from added in Gen.ListOf(endPoints) from dropped in Gen.ListOf(endPoints) select (Added: added.ToList(), Dropped: dropped.ToList());
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500), Prop.ForAll(samples.ToArbitrary(), sample =>
        {
            static IPEndPoint Norm(IPEndPoint e) => e.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(e.Address.MapToIPv4(), e.Port) : e;
            var decoded = PexMessage.Decode(new ReadOnlySequence<byte>(new PexMessage([.. sample.Added.Select(p => new PexPeer(p, PexPeerTraits.Seed))], sample.Dropped).Encode()));
            var expectedAdded = sample.Added.Take(50).Select(Norm).OrderBy(e => e.AddressFamily).ToList();
            return decoded.Added.Select(p => p.EndPoint).SequenceEqual(expectedAdded)
                && decoded.Added.All(p => p.Flags == PexPeerTraits.Seed)
                && decoded.Dropped.SequenceEqual(sample.Dropped.Take(50).Select(Norm).OrderBy(e => e.AddressFamily));
        }));
    }

    [Fact]
    public void Fetched_info_bytes_become_a_torrent_file_with_the_magnets_trackers()
    {
        var (_, torrent) = TestTorrent();
        var bytes = TorrentMetadata.ToTorrentFile(torrent.RawInfo.Span, ["udp://a.example:1", "http://b.example/announce"]);
        var parsed = TorrentParser.Parse(bytes);

        Assert.Equal(torrent.InfoHash, parsed.InfoHash);
        Assert.Equal(torrent.RawInfo.ToArray(), parsed.RawInfo.ToArray());
        Assert.Equal("udp://a.example:1", parsed.Announce);
        Assert.Equal([["udp://a.example:1"], ["http://b.example/announce"]], parsed.AnnounceList);

        var viaHelper = TorrentMetadata.ToTorrent(torrent.RawInfo.Span, torrent.InfoHash, []);
        Assert.Equal(torrent.InfoHash, viaHelper.InfoHash);
        Assert.Null(viaHelper.Announce);
        Assert.Throws<TorrentFormatException>(() => TorrentMetadata.ToTorrent(torrent.RawInfo.Span, default, []));
    }

    internal static (byte[] Bytes, Torrent Torrent) TestTorrent()
    {
        var folder = Directory.CreateTempSubdirectory("smartshare-meta-").FullName;
        try
        {
            var file = Path.Combine(folder, "x.bin");
            File.WriteAllBytes(file, EngineBytes(100_000));
            return TorrentCreator.Create(file, pieceLength: 16 * 1024);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static MetadataMessage Decode(byte[] bytes) => MetadataMessage.Decode(new ReadOnlySequence<byte>(bytes));

    private static byte[] EngineBytes(int length)
    {
        var bytes = new byte[length];
        System.Security.Cryptography.RandomNumberGenerator.Fill(bytes);
        return bytes;
    }
}
