using System.Buffers;
using System.Text;

namespace SmartShare.Bencode.Tests;

/// <summary>Test shorthand: bencode written as text, one char per byte.</summary>
internal static class TestBytes
{
    public static byte[] Of(string text) => Encoding.Latin1.GetBytes(text);

    public static string Text(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);

    public static string Encode(BencodeValue value, BencodeMode mode)
    {
        var output = new ArrayBufferWriter<byte>();
        BencodeEncoder.Encode(value, output, mode);
        return Text(output.WrittenSpan);
    }
}
