using System.Text;
using SmartShare.BitTorrent.PeerWire.Encryption;

namespace SmartShare.BitTorrent.Tests.PeerWire.Encryption;

public sealed class Rc4Tests
{
    [Theory]
    [InlineData("Key", "Plaintext", "BBF316E8D940AF0AD3")]
    [InlineData("Wiki", "pedia", "1021BF0420")]
    [InlineData("Secret", "Attack at dawn", "45A01F645FC35B383552544B9BF5")]
    public void Known_answers_of_the_classic_vectors(string key, string plaintext, string ciphertext)
    {
        var data = Encoding.ASCII.GetBytes(plaintext);
        new Rc4(Encoding.ASCII.GetBytes(key)).Transform(data);
        Assert.Equal(ciphertext, Convert.ToHexString(data));

        new Rc4(Encoding.ASCII.GetBytes(key)).Transform(data);
        Assert.Equal(plaintext, Encoding.ASCII.GetString(data));
    }

    [Fact]
    public void Rfc6229_first_keystream_bytes_of_the_40_bit_key()
    {
        var keystream = new byte[16];
        new Rc4([1, 2, 3, 4, 5]).Transform(keystream);
        Assert.Equal("B2396305F03DC027CCC3524A0A1118A8", Convert.ToHexString(keystream));
    }

    [Fact]
    public void The_mse_cipher_starts_1024_keystream_bytes_in()
    {
        var key = EngineKey();
        var whole = new byte[Rc4.MseDiscard + 3000];
        new Rc4(key).Transform(whole);

        var mse = new byte[3000];
        Rc4.ForMse(key).Transform(mse);
        Assert.Equal(whole[Rc4.MseDiscard..], mse);

        var skipped = new Rc4(key);
        skipped.Skip(Rc4.MseDiscard);
        var again = new byte[3000];
        skipped.Transform(again);
        Assert.Equal(mse, again);
    }

    [Fact]
    public void Transforming_in_pieces_equals_transforming_at_once_and_a_separate_destination_leaves_the_source_alone()
    {
        var key = EngineKey();
        var source = new byte[70_000];
        Random.Shared.NextBytes(source);
        var original = source.ToArray();

        var atOnce = new byte[source.Length];
        new Rc4(key).Transform(source, atOnce);
        Assert.Equal(original, source);

        var pieces = source.ToArray();
        var rc4 = new Rc4(key);
        var offset = 0;
        foreach (var length in new[] { 1, 0, 255, 256, 257, 16384, 50_000 })
        {
            var take = Math.Min(length, pieces.Length - offset);
            rc4.Transform(pieces.AsSpan(offset, take));
            offset += take;
        }

        rc4.Transform(pieces.AsSpan(offset));
        Assert.Equal(atOnce, pieces);
    }

    [Fact]
    public void A_key_is_1_to_256_bytes()
    {
        Assert.Throws<ArgumentException>(() => new Rc4([]));
        Assert.Throws<ArgumentException>(() => new Rc4(new byte[257]));
        _ = new Rc4(new byte[256]);
    }

    private static byte[] EngineKey() => Convert.FromHexString("0123456789ABCDEF0123456789ABCDEF01234567");
}
