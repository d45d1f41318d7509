namespace SmartShare.Bencode.Tests;

public class BencodeReaderTests
{
    [Fact]
    public void Reads_tokens_in_order_with_slices_and_integers()
    {
        var input = TestBytes.Of("d3:fooli1e4:spamee");
        var reader = new BencodeReader(input, BencodeMode.Strict);

        Assert.Equal(BencodeTokenType.None, reader.TokenType);
        Assert.True(reader.Read());
        Assert.Equal(BencodeTokenType.DictionaryStart, reader.TokenType);
        Assert.Equal(1, reader.Depth);
        Assert.True(reader.Read());
        Assert.Equal(BencodeTokenType.ByteString, reader.TokenType);
        Assert.True(reader.IsDictionaryKey);
        Assert.Equal("foo", TestBytes.Text(reader.GetBytes()));
        Assert.Equal(3, reader.ValueStart);
        Assert.True(reader.Read());
        Assert.Equal(BencodeTokenType.ListStart, reader.TokenType);
        Assert.False(reader.IsDictionaryKey);
        Assert.Equal(2, reader.Depth);
        Assert.True(reader.Read());
        Assert.Equal(BencodeTokenType.Integer, reader.TokenType);
        Assert.Equal(1, reader.GetInteger());
        Assert.Equal(7, reader.TokenStart);
        Assert.True(reader.Read());
        Assert.Equal("spam", TestBytes.Text(reader.GetBytes()));
        Assert.True(reader.Read());
        Assert.Equal(BencodeTokenType.End, reader.TokenType);
        Assert.Equal(1, reader.Depth);
        Assert.True(reader.Read());
        Assert.Equal(BencodeTokenType.End, reader.TokenType);
        Assert.Equal(0, reader.Depth);
        Assert.False(reader.Read());
        Assert.Equal(input.Length, reader.BytesConsumed);
    }

    [Fact]
    public void A_scalar_root_is_one_token()
    {
        var reader = new BencodeReader(TestBytes.Of("i-12e"), BencodeMode.Lbry);

        Assert.True(reader.Read());
        Assert.Equal(-12, reader.GetInteger());
        Assert.False(reader.Read());
    }

    [Fact]
    public void Integer_keys_are_tokens_marked_as_keys_in_lbry_mode()
    {
        var reader = new BencodeReader(TestBytes.Of("di0ei1ee"), BencodeMode.Lbry);

        reader.Read();
        reader.Read();

        Assert.True(reader.IsDictionaryKey);
        Assert.Equal(0, reader.GetInteger());
        reader.Read();
        Assert.False(reader.IsDictionaryKey);
        Assert.Equal(1, reader.GetInteger());
    }

    [Fact]
    public void Skip_on_a_key_skips_its_value_and_on_a_container_skips_to_its_end()
    {
        var reader = new BencodeReader(TestBytes.Of("d1:ald1:xi1eei9ee1:bi2ee"), BencodeMode.Strict);
        reader.Read();
        reader.Read();

        reader.Skip();

        Assert.Equal(BencodeTokenType.End, reader.TokenType);
        Assert.Equal(1, reader.Depth);
        reader.Read();
        Assert.Equal("b", TestBytes.Text(reader.GetBytes()));
        reader.Read();
        reader.Skip();
        Assert.Equal(2, reader.GetInteger());
        reader.Read();
        reader.Skip();
        Assert.Equal(BencodeTokenType.End, reader.TokenType);
        Assert.False(reader.Read());
    }

    [Fact]
    public void Skip_from_the_root_reaches_the_end_of_input()
    {
        var reader = new BencodeReader(TestBytes.Of("ll1:aeli1eee"), BencodeMode.Strict);
        reader.Read();

        reader.Skip();

        Assert.Equal(0, reader.Depth);
        Assert.False(reader.Read());
    }

    [Fact]
    public void Skip_still_checks_what_it_skips()
    {
        var error = Assert.Throws<BencodeFormatException>(() =>
        {
            var reader = new BencodeReader(TestBytes.Of("ld1:bi0e1:ai0eee"), BencodeMode.Strict);
            reader.Read();
            reader.Skip();
        });

        Assert.Equal(8, error.Offset);
    }

    [Fact]
    public void Trailing_bytes_are_reported_on_the_read_after_the_value()
    {
        var reader = new BencodeReader(TestBytes.Of("lei"), BencodeMode.Strict);
        reader.Read();
        reader.Read();

        try
        {
            reader.Read();
            Assert.Fail("Expected a BencodeFormatException.");
        }
        catch (BencodeFormatException error)
        {
            Assert.Equal(2, error.Offset);
        }
    }

    [Fact]
    public void Asking_for_the_wrong_kind_of_value_is_a_usage_error()
    {
        Assert.Throws<InvalidOperationException>(() =>
        {
            var reader = new BencodeReader(TestBytes.Of("4:spam"), BencodeMode.Strict);
            reader.Read();
            return reader.GetInteger();
        });
        Assert.Throws<InvalidOperationException>(() =>
        {
            var reader = new BencodeReader(TestBytes.Of("i1e"), BencodeMode.Strict);
            reader.Read();
            return reader.GetBytes().Length;
        });
    }

    [Fact]
    public void Reading_allocates_nothing()
    {
        var input = TestBytes.Of("d1:ad1:xi1e1:yl3:abci-5eee1:bli1ei2ei3ee1:c0:e");
        ReadAll(input);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            ReadAll(input);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        static void ReadAll(byte[] input)
        {
            var reader = new BencodeReader(input, BencodeMode.Strict);
            while (reader.Read())
            {
            }
        }
    }
}
