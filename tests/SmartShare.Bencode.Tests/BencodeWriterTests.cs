using System.Buffers;

namespace SmartShare.Bencode.Tests;

public class BencodeWriterTests
{
    [Fact]
    public void Writes_tokens_as_canonical_bencode()
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new BencodeWriter(output, BencodeMode.Strict);

        writer.StartDictionary();
        writer.WriteString("bar");
        writer.WriteBytes("spam"u8);
        writer.WriteString("foo");
        writer.StartList();
        writer.WriteInteger(42);
        writer.WriteInteger(-3);
        writer.WriteInteger(0);
        writer.End();
        writer.End();

        Assert.Equal("d3:bar4:spam3:fooli42ei-3ei0eee", TestBytes.Text(output.WrittenSpan));
        Assert.Equal(0, writer.Depth);
    }

    [Fact]
    public void Writes_integer_keys_in_lbry_mode()
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new BencodeWriter(output, BencodeMode.Lbry);

        writer.StartDictionary();
        writer.WriteIntegerKey(0);
        writer.WriteInteger(1);
        writer.WriteIntegerKey(3);
        writer.WriteString("pong");
        writer.End();

        Assert.Equal("di0ei1ei3e4:ponge", TestBytes.Text(output.WrittenSpan));
    }

    [Fact]
    public void Integer_keys_are_refused_in_strict_mode()
    {
        Assert.Throws<InvalidOperationException>(() => new BencodeWriter(new ArrayBufferWriter<byte>(), BencodeMode.Strict).WriteIntegerKey(0));
    }

    [Fact]
    public void Ending_with_nothing_open_is_refused()
    {
        Assert.Throws<InvalidOperationException>(() => new BencodeWriter(new ArrayBufferWriter<byte>(), BencodeMode.Strict).End());
    }

    [Fact]
    public void Non_ascii_text_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new BencodeWriter(new ArrayBufferWriter<byte>(), BencodeMode.Strict).WriteString("caf\u00e9"));
    }

    [Fact]
    public void Long_byte_strings_and_extreme_integers_are_written_whole()
    {
        var output = new ArrayBufferWriter<byte>(1);
        var writer = new BencodeWriter(output, BencodeMode.Strict);
        var payload = new byte[100_000];
        payload.AsSpan().Fill((byte)'z');

        writer.StartList();
        writer.WriteBytes(payload);
        writer.WriteInteger(long.MinValue);
        writer.End();

        Assert.Equal("l100000:" + new string('z', 100_000) + "i-9223372036854775808ee", TestBytes.Text(output.WrittenSpan));
    }

    [Fact]
    public void Writing_allocates_nothing_once_the_buffer_is_large_enough()
    {
        var output = new ArrayBufferWriter<byte>(4096);
        Write(output);
        output.ResetWrittenCount();

        var before = GC.GetAllocatedBytesForCurrentThread();
        Write(output);

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        static void Write(ArrayBufferWriter<byte> output)
        {
            var writer = new BencodeWriter(output, BencodeMode.Lbry);
            writer.StartDictionary();
            writer.WriteIntegerKey(0);
            writer.WriteInteger(0);
            writer.WriteIntegerKey(1);
            writer.WriteBytes("0123456789abcdefghij"u8);
            writer.End();
        }
    }
}
