using System.Buffers;
using System.Globalization;
using System.Text;
using SmartShare.Lbry.Blobs;

namespace SmartShare.Lbry.BlobExchange;

/// <summary>
/// Writes JSON the way Python's <c>json.dumps</c> does with its defaults (separators ", " and ": ", ASCII only),
/// so our messages are byte-identical to lbry-sdk's.
/// </summary>
internal static class PythonJsonWriter
{
    public static void Raw(IBufferWriter<byte> output, ReadOnlySpan<byte> utf8) => output.Write(utf8);

    public static void Hash(IBufferWriter<byte> output, BlobHash hash)
    {
        var span = output.GetSpan(BlobHash.HexLength + 2);
        span[0] = (byte)'"';
        Convert.TryToHexStringLower(hash.Bytes, span[1..], out var written);
        span[written + 1] = (byte)'"';
        output.Advance(written + 2);
    }

    public static void HashList(IBufferWriter<byte> output, IReadOnlyList<BlobHash> hashes)
    {
        Raw(output, "["u8);
        for (var i = 0; i < hashes.Count; i++)
        {
            if (i > 0)
            {
                Raw(output, ", "u8);
            }

            Hash(output, hashes[i]);
        }

        Raw(output, "]"u8);
    }

    public static void Integer(IBufferWriter<byte> output, long value)
    {
        var span = output.GetSpan(20);
        value.TryFormat(span, out var written, default, CultureInfo.InvariantCulture);
        output.Advance(written);
    }

    /// <summary>Python's float repr: integral values keep ".0", exponents are lowercase.</summary>
    public static void Double(IBufferWriter<byte> output, double value)
    {
        string text;
        if (double.IsNaN(value))
        {
            text = "NaN";
        }
        else if (double.IsInfinity(value))
        {
            text = value > 0 ? "Infinity" : "-Infinity";
        }
        else if (value == Math.Floor(value) && Math.Abs(value) < 1e16)
        {
            text = value.ToString("F0", CultureInfo.InvariantCulture) + ".0";
        }
        else
        {
            text = value.ToString("R", CultureInfo.InvariantCulture).Replace('E', 'e');
        }

        var span = output.GetSpan(text.Length);
        var written = Encoding.ASCII.GetBytes(text, span);
        output.Advance(written);
    }

    /// <summary>A string with Python's escapes: quotes, backslash, control characters and anything not ASCII.</summary>
    public static void String(IBufferWriter<byte> output, string value)
    {
        Raw(output, "\""u8);
        foreach (var c in value)
        {
            switch (c)
            {
                case '"':
                    Raw(output, "\\\""u8);
                    break;
                case '\\':
                    Raw(output, "\\\\"u8);
                    break;
                case '\n':
                    Raw(output, "\\n"u8);
                    break;
                case '\r':
                    Raw(output, "\\r"u8);
                    break;
                case '\t':
                    Raw(output, "\\t"u8);
                    break;
                case '\b':
                    Raw(output, "\\b"u8);
                    break;
                case '\f':
                    Raw(output, "\\f"u8);
                    break;
                default:
                    if (c < 0x20 || c > 0x7f)
                    {
                        var span = output.GetSpan(6);
                        span[0] = (byte)'\\';
                        span[1] = (byte)'u';
                        ((int)c).TryFormat(span[2..], out _, "x4", CultureInfo.InvariantCulture);
                        output.Advance(6);
                    }
                    else
                    {
                        var span = output.GetSpan(1);
                        span[0] = (byte)c;
                        output.Advance(1);
                    }

                    break;
            }
        }

        Raw(output, "\""u8);
    }
}
