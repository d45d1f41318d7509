using System.Buffers;
using FsCheck;
using FsCheck.Fluent;
using SmartShare.BitTorrent.PeerWire;

namespace SmartShare.BitTorrent.Tests.PeerWire;

/// <summary>Whatever a peer sends, the codecs return a value or throw <see cref="PeerWireFormatException"/>, nothing else.</summary>
public class PeerWirePropertyTests
{
    private static readonly byte[] Alphabet = "ilde0123456789:-mpv"u8.ToArray().Concat(new byte[] { 0, 0xff }).ToArray();

    [Fact]
    public void Random_bytes_read_as_messages_or_throw_only_the_format_exception()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(3000), Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), ReadsAllOrRejects));
    }

    [Fact]
    public void Random_small_messages_split_anywhere_read_the_same_as_whole()
    {
        var messages =
            from id in Gen.Choose(0, 25)
            from bodyLength in Gen.Choose(0, 20)
            from body in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), bodyLength)
            from cuts in Gen.ArrayOf(Gen.Choose(0, bodyLength + 5))
            select (Bytes: new byte[] { 0, 0, 0, (byte)(bodyLength + 1), (byte)id }.Concat(body).ToArray(), Cuts: cuts);

        Check.One(
            Config.QuickThrowOnFailure.WithMaxTest(3000),
            Prop.ForAll(messages.ToArbitrary(), sample => Outcome(new ReadOnlySequence<byte>(sample.Bytes)) == Outcome(Sequences.Split(sample.Bytes, sample.Cuts))));
    }

    [Fact]
    public void Random_bytes_decode_as_handshakes_or_throw_only_the_format_exception()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(3000), Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), bytes =>
        {
            try
            {
                HandshakeCodec.TryRead(new ReadOnlySequence<byte>(bytes), out _);
                return true;
            }
            catch (PeerWireFormatException)
            {
                return true;
            }
        }));
    }

    [Fact]
    public void Random_and_bencode_like_bytes_decode_as_extension_handshakes_or_throw_only_the_format_exception()
    {
        var bencodeLike = Gen.ArrayOf(Gen.Elements(Alphabet)).Select(bytes => "d1:m"u8.ToArray().Concat(bytes).ToArray());
        var inputs = Gen.OneOf(ArbMap.Default.ArbFor<byte[]>().Generator, bencodeLike, Gen.ArrayOf(Gen.Elements(Alphabet)));

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(5000), Prop.ForAll(inputs.ToArbitrary(), bytes =>
        {
            try
            {
                var decoded = ExtensionHandshake.Decode(new ReadOnlySequence<byte>(bytes));
                return decoded.Messages.Values.All(id => id != 0);
            }
            catch (PeerWireFormatException)
            {
                return true;
            }
        }));
    }

    private static bool ReadsAllOrRejects(byte[] bytes)
    {
        var buffer = new ReadOnlySequence<byte>(bytes);
        try
        {
            while (PeerMessageCodec.TryRead(ref buffer, 64, out var message))
            {
                if (message.Index < 0 || message.Begin < 0 || message.Length < 0 || message.Payload.Length > 64)
                {
                    return false;
                }
            }

            return buffer.Length < bytes.Length + 1;
        }
        catch (PeerWireFormatException)
        {
            return true;
        }
    }

    private static string Outcome(ReadOnlySequence<byte> buffer)
    {
        try
        {
            return PeerMessageCodec.TryRead(ref buffer, 1024, out var message)
                ? $"{message.Type} {message.Index} {message.Begin} {message.Length} {message.Port} {message.ExtendedId} {Convert.ToHexString(message.Payload.ToArray())} rest {buffer.Length}"
                : "incomplete";
        }
        catch (PeerWireFormatException e)
        {
            return e.Message;
        }
    }
}
