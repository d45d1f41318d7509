using System.Runtime.InteropServices;

namespace SmartShare.Bencode.Tests;

public class BencodeDecoderTests
{
    [Theory]
    [InlineData("i0e")]
    [InlineData("i42e")]
    [InlineData("i-3e")]
    [InlineData("i9223372036854775807e")]
    [InlineData("i-9223372036854775808e")]
    [InlineData("0:")]
    [InlineData("4:spam")]
    [InlineData("le")]
    [InlineData("li-3ei0ee")]
    [InlineData("l4:spami1elleee")]
    [InlineData("de")]
    [InlineData("d3:bar4:spam3:fooi42ee")]
    [InlineData("d4:dictd1:a0:e4:listli1ei2eee")]
    [InlineData("lld1:xlleeeee")]
    public void Canonical_input_round_trips_byte_for_byte_in_both_modes(string text)
    {
        foreach (var mode in new[] { BencodeMode.Strict, BencodeMode.Lbry })
        {
            var value = BencodeDecoder.Decode(TestBytes.Of(text), mode);

            Assert.Equal(text, TestBytes.Encode(value, mode));
        }
    }

    [Fact]
    public void Decodes_each_type_into_the_value_model()
    {
        var value = BencodeDecoder.Decode(TestBytes.Of("d3:inti-7e4:listli1e1:xe3:str4:spame"), BencodeMode.Strict);

        var dictionary = Assert.IsType<BencodeDictionary>(value);
        Assert.Equal(3, dictionary.Count);
        Assert.True(dictionary.TryGetValue("int", out var integer));
        Assert.Equal(-7, Assert.IsType<BencodeInteger>(integer).Value);
        Assert.True(dictionary.TryGetValue("list", out var list));
        var items = Assert.IsType<BencodeList>(list);
        Assert.Equal(2, items.Count);
        Assert.Equal(1, Assert.IsType<BencodeInteger>(items[0]).Value);
        Assert.Equal("x", TestBytes.Text(Assert.IsType<BencodeByteString>(items[1]).Value.Span));
        Assert.True(dictionary.TryGetValue("str", out var text));
        Assert.Equal("spam", TestBytes.Text(Assert.IsType<BencodeByteString>(text).Value.Span));
        Assert.False(dictionary.TryGetValue("missing", out _));
    }

    [Fact]
    public void Byte_strings_are_slices_of_the_input_not_copies()
    {
        var input = TestBytes.Of("l4:spam3:keye");

        var list = Assert.IsType<BencodeList>(BencodeDecoder.Decode(input, BencodeMode.Strict));

        Assert.True(MemoryMarshal.TryGetArray(Assert.IsType<BencodeByteString>(list[0]).Value, out var first));
        Assert.Same(input, first.Array);
        Assert.Equal(3, first.Offset);
        Assert.True(MemoryMarshal.TryGetArray(Assert.IsType<BencodeByteString>(list[1]).Value, out var second));
        Assert.Same(input, second.Array);
        Assert.Equal(9, second.Offset);
    }

    [Theory]
    [InlineData("", 0)]
    [InlineData("x", 0)]
    [InlineData("e", 0)]
    [InlineData("i", 1)]
    [InlineData("i42", 3)]
    [InlineData("ie", 0)]
    [InlineData("i-e", 0)]
    [InlineData("i-0e", 0)]
    [InlineData("i03e", 0)]
    [InlineData("i-03e", 0)]
    [InlineData("i+3e", 1)]
    [InlineData("i 3e", 1)]
    [InlineData("i1x2e", 2)]
    [InlineData("i1.5e", 2)]
    [InlineData("i12345678901234567890e", 0)]
    [InlineData("i9223372036854775808e", 0)]
    [InlineData("i-9223372036854775809e", 0)]
    [InlineData("4", 1)]
    [InlineData("4:spa", 0)]
    [InlineData("04:spam", 0)]
    [InlineData("00:", 0)]
    [InlineData("4spam", 1)]
    [InlineData("-1:a", 0)]
    [InlineData("99999999999:", 0)]
    [InlineData("l", 1)]
    [InlineData("li1e", 4)]
    [InlineData("d", 1)]
    [InlineData("d3:foo", 6)]
    [InlineData("d3:fooe", 6)]
    [InlineData("dli1eei1ee", 1)]
    [InlineData("dde1:ae", 1)]
    [InlineData("d3:fooi1e3:fooi2ee", 9)]
    [InlineData("i1ei2e", 3)]
    [InlineData("4:spamx", 6)]
    [InlineData("lee", 2)]
    public void Malformed_input_is_rejected_in_both_modes_with_the_offset_of_the_fault(string text, int offset)
    {
        foreach (var mode in new[] { BencodeMode.Strict, BencodeMode.Lbry })
        {
            var error = Assert.Throws<BencodeFormatException>(() => BencodeDecoder.Decode(TestBytes.Of(text), mode));

            Assert.Equal(offset, error.Offset);
            Assert.Contains($"offset {offset}", error.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("d3:fooi1e3:bari2ee", 9)]
    [InlineData("d1:bi0e1:ai0ee", 7)]
    [InlineData("d2:ab0:1:a0:e", 7)]
    [InlineData("di1ei2ee", 1)]
    [InlineData("d1:ad1:bi0e1:ai0eee", 11)]
    public void Strict_mode_rejects_unsorted_and_integer_keys(string text, int offset)
    {
        var error = Assert.Throws<BencodeFormatException>(() => BencodeDecoder.Decode(TestBytes.Of(text), BencodeMode.Strict));

        Assert.Equal(offset, error.Offset);
    }

    [Theory]
    [InlineData("di1ei1ei1ei2ee", 7)]
    [InlineData("di1ei1e1:1i2ee", 7)]
    [InlineData("d1:0i1ei0ei2ee", 7)]
    [InlineData("di2ei1ei1ei2e1:2i3ee", 13)]
    [InlineData("d1:bi0e1:ai0e1:bi0ee", 13)]
    [InlineData("d1:bd1:xi0e1:xi1ee1:ai0ee", 11)]
    public void Lbry_mode_rejects_duplicate_keys_even_out_of_order_or_spelled_as_text(string text, int offset)
    {
        var error = Assert.Throws<BencodeFormatException>(() => BencodeDecoder.Decode(TestBytes.Of(text), BencodeMode.Lbry));

        Assert.Equal(offset, error.Offset);
        Assert.Contains("Duplicate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Lbry_mode_accepts_keys_out_of_order()
    {
        var value = BencodeDecoder.Decode(TestBytes.Of("d1:bi0e1:ai1ei3ei2ei0ei1ee"), BencodeMode.Lbry);

        var dictionary = Assert.IsType<BencodeDictionary>(value);
        Assert.Equal(4, dictionary.Count);
        Assert.Equal("di0ei1ei3ei2e1:ai1e1:bi0ee", TestBytes.Encode(value, BencodeMode.Lbry));
    }

    [Fact]
    public void Lbry_mode_accepts_integer_keys_in_nested_dictionaries_and_sorts_them_on_encode()
    {
        var value = BencodeDecoder.Decode(TestBytes.Of("ldi1e0:i0e1:xee"), BencodeMode.Lbry);

        Assert.Equal("ldi0e1:xi1e0:ee", TestBytes.Encode(value, BencodeMode.Lbry));
        Assert.Throws<ArgumentException>(() => BencodeEncoder.Encode(value, BencodeMode.Strict));
    }

    [Fact]
    public void Lbry_mode_reads_digit_text_keys_as_the_integer_keys_lbry_sdk_sends()
    {
        var input = TestBytes.Of("d1:0i0e1:1i7e1:31:x1:4le1:pi5ee");

        var dictionary = Assert.IsType<BencodeDictionary>(BencodeDecoder.Decode(input, BencodeMode.Lbry));

        Assert.True(dictionary.TryGetValue(0, out var type));
        Assert.Equal(0, Assert.IsType<BencodeInteger>(type).Value);
        Assert.True(dictionary.TryGetValue(1, out var rpcId));
        Assert.Equal(7, Assert.IsType<BencodeInteger>(rpcId).Value);
        Assert.True(dictionary.TryGetValue(4, out var args));
        Assert.IsType<BencodeList>(args);
        Assert.False(dictionary.TryGetValue(2, out _));
        Assert.True(dictionary.TryGetValue("p", out _));
        Assert.Equal("d1:0i0e1:1i7e1:31:x1:4le1:pi5ee", TestBytes.Encode(dictionary, BencodeMode.Lbry));
    }

    [Fact]
    public void Lbry_mode_sorts_integer_looking_text_keys_numerically_like_integer_keys()
    {
        var value = BencodeDecoder.Decode(TestBytes.Of("d1:9i0e2:10i1ee"), BencodeMode.Lbry);

        Assert.Equal("d1:9i0e2:10i1ee", TestBytes.Encode(value, BencodeMode.Lbry));
        Assert.Throws<BencodeFormatException>(() => BencodeDecoder.Decode(TestBytes.Of("d1:9i0e2:10i1ee"), BencodeMode.Strict));
    }

    [Fact]
    public void Nesting_beyond_the_depth_limit_is_rejected_at_the_container_that_exceeds_it()
    {
        var atLimit = new string('l', 32) + new string('e', 32);
        var beyond = new string('l', 33) + new string('e', 33);

        BencodeDecoder.Decode(TestBytes.Of(atLimit), BencodeMode.Strict);
        var error = Assert.Throws<BencodeFormatException>(() => BencodeDecoder.Decode(TestBytes.Of(beyond), BencodeMode.Strict));

        Assert.Equal(32, error.Offset);
        var shallow = new BencodeLimits { MaxDepth = 2 };
        Assert.Equal(5, Assert.Throws<BencodeFormatException>(() => BencodeDecoder.Decode(TestBytes.Of("ld1:ale1:bi0ee"), BencodeMode.Strict, shallow)).Offset);
    }

    [Fact]
    public void Too_many_items_are_rejected_at_the_first_item_over_the_limit()
    {
        var limits = new BencodeLimits { MaxItems = 3 };

        BencodeDecoder.Decode(TestBytes.Of("li1ei2ee"), BencodeMode.Strict, limits);
        var error = Assert.Throws<BencodeFormatException>(() => BencodeDecoder.Decode(TestBytes.Of("li1ei2ei3ee"), BencodeMode.Strict, limits));

        Assert.Equal(7, error.Offset);
    }

    [Fact]
    public void Dictionary_keys_count_as_items()
    {
        var limits = new BencodeLimits { MaxItems = 2 };

        Assert.Equal(4, Assert.Throws<BencodeFormatException>(() => BencodeDecoder.Decode(TestBytes.Of("d1:ai0ee"), BencodeMode.Strict, limits)).Offset);
    }

    [Fact]
    public void Byte_strings_longer_than_the_limit_are_rejected()
    {
        var limits = new BencodeLimits { MaxByteStringLength = 3 };

        BencodeDecoder.Decode(TestBytes.Of("3:spa"), BencodeMode.Strict, limits);
        var error = Assert.Throws<BencodeFormatException>(() => BencodeDecoder.Decode(TestBytes.Of("l4:spame"), BencodeMode.Strict, limits));

        Assert.Equal(1, error.Offset);
    }

    [Fact]
    public void Integers_with_more_digits_than_the_limit_are_rejected()
    {
        var limits = new BencodeLimits { MaxIntegerDigits = 3 };

        BencodeDecoder.Decode(TestBytes.Of("i-999e"), BencodeMode.Strict, limits);
        var error = Assert.Throws<BencodeFormatException>(() => BencodeDecoder.Decode(TestBytes.Of("i1000e"), BencodeMode.Strict, limits));

        Assert.Equal(0, error.Offset);
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(1024 * 1024)]
    public void A_two_gigabyte_declared_length_in_a_tiny_input_is_rejected_without_allocating_it(int maxByteStringLength)
    {
        var input = TestBytes.Of("2147483647:abc");
        var limits = new BencodeLimits { MaxByteStringLength = maxByteStringLength };
        Assert.Throws<BencodeFormatException>(() => BencodeDecoder.Decode(input, BencodeMode.Strict, limits));

        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<BencodeFormatException>(() => BencodeDecoder.Decode(input, BencodeMode.Strict, limits));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, error.Offset);
        Assert.True(allocated < 64 * 1024, $"Allocated {allocated} bytes.");
    }

    [Fact]
    public void The_exception_is_a_format_exception_that_names_what_was_wrong()
    {
        var error = Assert.Throws<BencodeFormatException>(() => BencodeDecoder.Decode(TestBytes.Of("i03e"), BencodeMode.Strict));

        Assert.IsAssignableFrom<FormatException>(error);
        Assert.Contains("leading zero", error.Message, StringComparison.Ordinal);
        Assert.Equal("Integer has a leading zero", error.Reason);
    }
}
