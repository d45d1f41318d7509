namespace SmartShare.Bencode.Tests;

public class BencodeEncoderTests
{
    private static BencodeByteString Text(string ascii) => BencodeByteString.FromAscii(ascii);

    private static BencodeEntry Entry(string key, BencodeValue value) => new(BencodeKey.FromAscii(key), value);

    private static BencodeEntry Entry(long key, BencodeValue value) => new(BencodeKey.FromInteger(key), value);

    [Theory]
    [InlineData(0L, "i0e")]
    [InlineData(42L, "i42e")]
    [InlineData(-3L, "i-3e")]
    [InlineData(long.MaxValue, "i9223372036854775807e")]
    [InlineData(long.MinValue, "i-9223372036854775808e")]
    public void Integers_encode_canonically(long value, string expected)
    {
        Assert.Equal(expected, TestBytes.Encode(new BencodeInteger(value), BencodeMode.Strict));
    }

    [Fact]
    public void Byte_strings_encode_with_their_length()
    {
        Assert.Equal("4:spam", TestBytes.Encode(Text("spam"), BencodeMode.Strict));
        Assert.Equal("0:", TestBytes.Encode(new BencodeByteString(ReadOnlyMemory<byte>.Empty), BencodeMode.Strict));
        Assert.Equal("3:\0\xff\n", TestBytes.Encode(new BencodeByteString(new byte[] { 0, 0xff, 10 }), BencodeMode.Strict));
    }

    [Fact]
    public void Lists_encode_their_items_in_order()
    {
        var list = new BencodeList([new BencodeInteger(-3), new BencodeInteger(0)]);

        Assert.Equal("li-3ei0ee", TestBytes.Encode(list, BencodeMode.Strict));
        Assert.Equal("le", TestBytes.Encode(new BencodeList([]), BencodeMode.Strict));
    }

    [Fact]
    public void Strict_mode_sorts_dictionary_keys_by_raw_bytes()
    {
        var dictionary = new BencodeDictionary([Entry("foo", new BencodeInteger(42)), Entry("bar", Text("spam"))]);

        Assert.Equal("d3:bar4:spam3:fooi42ee", TestBytes.Encode(dictionary, BencodeMode.Strict));
    }

    [Fact]
    public void Strict_mode_sorts_by_unsigned_bytes_and_shorter_prefix_first()
    {
        var dictionary = new BencodeDictionary(
        [
            new BencodeEntry(BencodeKey.FromBytes(new byte[] { 0x80 }), new BencodeInteger(1)),
            Entry("ab", new BencodeInteger(2)),
            Entry("a", new BencodeInteger(3)),
            Entry("10", new BencodeInteger(4)),
            Entry("9", new BencodeInteger(5)),
        ]);

        Assert.Equal("d2:10i4e1:9i5e1:ai3e2:abi2e1:\x80i1ee", TestBytes.Encode(dictionary, BencodeMode.Strict));
    }

    [Fact]
    public void Nested_values_encode_recursively()
    {
        var value = new BencodeDictionary(
        [
            Entry("list", new BencodeList([new BencodeInteger(1), new BencodeList([]), Text("x")])),
            Entry("dict", new BencodeDictionary([Entry("z", new BencodeDictionary([])), Entry("a", Text(""))])),
        ]);

        Assert.Equal("d4:dictd1:a0:1:zdee4:listli1ele1:xee", TestBytes.Encode(value, BencodeMode.Strict));
    }

    [Fact]
    public void Lbry_mode_writes_integer_keys_as_integers_sorted_numerically()
    {
        var dictionary = new BencodeDictionary(
        [
            Entry(10, new BencodeInteger(4)),
            Entry(3, Text("x")),
            Entry(0, new BencodeInteger(0)),
            Entry(-1, new BencodeInteger(9)),
            Entry(2, new BencodeList([])),
        ]);

        Assert.Equal("di-1ei9ei0ei0ei2elei3e1:xi10ei4ee", TestBytes.Encode(dictionary, BencodeMode.Lbry));
    }

    [Fact]
    public void Lbry_mode_puts_integer_keys_before_byte_string_keys()
    {
        var dictionary = new BencodeDictionary(
        [
            Entry("protocolVersion", new BencodeInteger(1)),
            Entry("p", new BencodeInteger(0)),
            Entry(1, Text("id")),
        ]);

        Assert.Equal("di1e2:id1:pi0e15:protocolVersioni1ee", TestBytes.Encode(dictionary, BencodeMode.Lbry));
    }

    [Fact]
    public void Strict_mode_refuses_integer_keys()
    {
        var dictionary = new BencodeDictionary([Entry(0, new BencodeInteger(0))]);

        Assert.Throws<ArgumentException>(() => BencodeEncoder.Encode(dictionary, BencodeMode.Strict));
    }

    [Theory]
    [InlineData(BencodeMode.Strict)]
    [InlineData(BencodeMode.Lbry)]
    public void Duplicate_keys_are_refused(BencodeMode mode)
    {
        var dictionary = new BencodeDictionary([Entry("a", new BencodeInteger(0)), Entry("b", new BencodeInteger(1)), Entry("a", new BencodeInteger(2))]);

        Assert.Throws<ArgumentException>(() => BencodeEncoder.Encode(dictionary, mode));
    }

    [Fact]
    public void Lbry_mode_refuses_an_integer_key_and_its_decimal_text_together()
    {
        var dictionary = new BencodeDictionary([Entry(3, new BencodeInteger(0)), Entry("3", new BencodeInteger(1))]);

        Assert.Throws<ArgumentException>(() => BencodeEncoder.Encode(dictionary, BencodeMode.Lbry));
    }

    [Fact]
    public void Nesting_deeper_than_the_decoder_could_read_is_refused()
    {
        BencodeValue value = new BencodeInteger(0);
        for (var i = 0; i < BencodeLimits.DepthCeiling + 1; i++)
        {
            value = new BencodeList([value]);
        }

        Assert.Throws<ArgumentException>(() => BencodeEncoder.Encode(value, BencodeMode.Strict));
    }

    [Fact]
    public void Encoding_into_an_array_matches_encoding_into_a_buffer_writer()
    {
        var value = new BencodeList([Text("spam"), new BencodeInteger(7)]);

        Assert.Equal("l4:spami7ee", TestBytes.Text(BencodeEncoder.Encode(value, BencodeMode.Lbry)));
    }
}
