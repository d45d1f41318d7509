namespace SmartShare.Bencode.Tests;

public class BencodeKeyTests
{
    [Fact]
    public void Keys_are_equal_only_with_the_same_kind_and_value()
    {
        Assert.Equal(BencodeKey.FromAscii("abc"), BencodeKey.FromBytes(TestBytes.Of("abc")));
        Assert.Equal(BencodeKey.FromAscii("abc").GetHashCode(), BencodeKey.FromBytes(TestBytes.Of("abc")).GetHashCode());
        Assert.True(BencodeKey.FromInteger(3) == BencodeKey.FromInteger(3));
        Assert.True(BencodeKey.FromInteger(3) != BencodeKey.FromAscii("3"));
        Assert.NotEqual(BencodeKey.FromAscii("a"), BencodeKey.FromAscii("b"));
    }

    [Fact]
    public void The_wrong_accessor_is_a_usage_error()
    {
        Assert.Throws<InvalidOperationException>(() => BencodeKey.FromInteger(1).Bytes);
        Assert.Throws<InvalidOperationException>(() => BencodeKey.FromAscii("1").IntegerValue);
    }

    [Fact]
    public void Keys_describe_themselves_as_text_or_hex()
    {
        Assert.Equal("42", BencodeKey.FromInteger(42).ToString());
        Assert.Equal("token", BencodeKey.FromAscii("token").ToString());
        Assert.Equal("00ff", BencodeKey.FromBytes(new byte[] { 0, 0xff }).ToString());
    }
}
