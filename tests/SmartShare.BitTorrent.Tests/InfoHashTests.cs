using System.Security.Cryptography;

namespace SmartShare.BitTorrent.Tests;

public class InfoHashTests
{
    private const string Hex = "0123456789abcdef0123456789abcdef01234567";

    [Fact]
    public void Prints_as_forty_lowercase_hex_digits()
    {
        Assert.Equal(Hex, InfoHash.Parse(Hex.ToUpperInvariant()).ToString());
    }

    [Fact]
    public void Parse_and_bytes_agree()
    {
        var hash = InfoHash.Parse(Hex);

        Assert.Equal(Convert.FromHexString(Hex), hash.ToArray());
        Assert.Equal(hash, InfoHash.FromBytes(Convert.FromHexString(Hex)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("0123")]
    [InlineData("0123456789abcdef0123456789abcdef0123456")]
    [InlineData("0123456789abcdef0123456789abcdef012345678")]
    [InlineData("0123456789abcdef0123456789abcdef0123456g")]
    public void Refuses_text_that_is_not_forty_hex_digits(string text)
    {
        Assert.False(InfoHash.TryParse(text, out _));
        Assert.Throws<FormatException>(() => InfoHash.Parse(text));
    }

    [Fact]
    public void TryParse_refuses_null()
    {
        Assert.False(InfoHash.TryParse(null, out _));
    }

    [Fact]
    public void Equal_bytes_are_equal_hashes_and_different_bytes_are_not()
    {
        var one = InfoHash.Parse(Hex);
        var same = InfoHash.Parse(Hex);
        var other = InfoHash.Parse("1123456789abcdef0123456789abcdef01234567");
        var lastByte = InfoHash.Parse("0123456789abcdef0123456789abcdef01234568");

        Assert.True(one == same);
        Assert.Equal(one.GetHashCode(), same.GetHashCode());
        Assert.True(one != other);
        Assert.NotEqual(one, lastByte);
        Assert.False(one.Equals((object)"text"));
    }

    [Fact]
    public void Compute_is_the_sha1_of_the_bytes()
    {
        var data = "d4:name1:ae"u8.ToArray();

        Assert.Equal(SHA1.HashData(data), InfoHash.Compute(data).ToArray());
    }

    [Fact]
    public void FromBytes_refuses_a_span_that_is_not_twenty_bytes()
    {
        Assert.Throws<ArgumentException>(() => InfoHash.FromBytes(new byte[19]));
    }
}
