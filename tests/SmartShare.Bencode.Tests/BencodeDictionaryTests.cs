namespace SmartShare.Bencode.Tests;

public class BencodeDictionaryTests
{
    [Fact]
    public void Integer_lookups_find_integer_keys_and_their_decimal_text()
    {
        var dictionary = new BencodeDictionary(
        [
            new BencodeEntry(BencodeKey.FromInteger(0), new BencodeInteger(10)),
            new BencodeEntry(BencodeKey.FromAscii("-4"), new BencodeInteger(11)),
            new BencodeEntry(BencodeKey.FromAscii("07"), new BencodeInteger(12)),
        ]);

        Assert.True(dictionary.TryGetValue(0, out var zero));
        Assert.Equal(10, Assert.IsType<BencodeInteger>(zero).Value);
        Assert.True(dictionary.TryGetValue(-4, out var minusFour));
        Assert.Equal(11, Assert.IsType<BencodeInteger>(minusFour).Value);
        Assert.False(dictionary.TryGetValue(7, out _));
        Assert.True(dictionary.TryGetValue("0", out _));
        Assert.True(dictionary.TryGetValue("07", out _));
    }

    [Fact]
    public void Null_values_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new BencodeDictionary([new BencodeEntry(BencodeKey.FromAscii("a"), null!)]));
        Assert.Throws<ArgumentException>(() => new BencodeList([null!]));
    }
}
