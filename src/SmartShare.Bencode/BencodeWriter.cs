using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace SmartShare.Bencode;

/// <summary>
/// Writes bencode token by token straight into an <see cref="IBufferWriter{T}"/>, allocating nothing.
/// The caller writes dictionary keys in canonical order (see <see cref="BencodeEncoder"/> for a writer that sorts).
/// </summary>
public ref struct BencodeWriter
{
    // "i-9223372036854775808e" is the longest integer token.
    private const int MaxIntegerTokenLength = 22;
    private const int MaxLengthPrefix = 11;

    private readonly IBufferWriter<byte> _output;
    private readonly BencodeMode _mode;
    private int _depth;

    public BencodeWriter(IBufferWriter<byte> output, BencodeMode mode)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
        _mode = mode;
    }

    /// <summary>How many lists and dictionaries are open.</summary>
    public readonly int Depth => _depth;

    public readonly void WriteInteger(long value)
    {
        var span = _output.GetSpan(MaxIntegerTokenLength);
        span[0] = (byte)'i';
        Utf8Formatter.TryFormat(value, span[1..], out var written);
        span[1 + written] = (byte)'e';
        _output.Advance(written + 2);
    }

    public readonly void WriteBytes(ReadOnlySpan<byte> value)
    {
        var span = _output.GetSpan(MaxLengthPrefix + value.Length);
        var prefix = WriteLengthPrefix(span, value.Length);
        value.CopyTo(span[prefix..]);
        _output.Advance(prefix + value.Length);
    }

    /// <summary>Writes ASCII text as a byte string; non-ASCII text is refused rather than silently re-encoded.</summary>
    public readonly void WriteString(string ascii)
    {
        ArgumentNullException.ThrowIfNull(ascii);
        if (!Ascii.IsValid(ascii))
        {
            throw new ArgumentException("Only ASCII text can be written as a bencode string.", nameof(ascii));
        }

        var span = _output.GetSpan(MaxLengthPrefix + ascii.Length);
        var prefix = WriteLengthPrefix(span, ascii.Length);
        Encoding.ASCII.GetBytes(ascii, span[prefix..]);
        _output.Advance(prefix + ascii.Length);
    }

    /// <summary>Writes an integer dictionary key, <c>i0e</c>; only Lbry mode has them.</summary>
    public readonly void WriteIntegerKey(long key)
    {
        if (_mode != BencodeMode.Lbry)
        {
            throw new InvalidOperationException("Integer dictionary keys exist only in Lbry mode.");
        }

        WriteInteger(key);
    }

    public void StartList() => Open((byte)'l');

    public void StartDictionary() => Open((byte)'d');

    /// <summary>Closes the innermost open list or dictionary.</summary>
    public void End()
    {
        if (_depth == 0)
        {
            throw new InvalidOperationException("There is no open list or dictionary to end.");
        }

        _depth--;
        WriteByte((byte)'e');
    }

    private void Open(byte marker)
    {
        _depth++;
        WriteByte(marker);
    }

    private readonly void WriteByte(byte value)
    {
        _output.GetSpan(1)[0] = value;
        _output.Advance(1);
    }

    private static int WriteLengthPrefix(Span<byte> span, int length)
    {
        Utf8Formatter.TryFormat(length, span, out var written);
        span[written] = (byte)':';
        return written + 1;
    }
}
