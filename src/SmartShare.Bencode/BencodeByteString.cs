using System.Text;

namespace SmartShare.Bencode;

/// <summary>A bencoded byte string, <c>4:spam</c>. When decoded, <see cref="Value"/> is a slice of the input, not a copy.</summary>
public sealed class BencodeByteString : BencodeValue
{
    public BencodeByteString(ReadOnlyMemory<byte> value)
    {
        Value = value;
    }

    public ReadOnlyMemory<byte> Value { get; }

    /// <summary>Makes a byte string of ASCII text, such as a method name or a dotted-quad IP address.</summary>
    public static BencodeByteString FromAscii(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!Ascii.IsValid(text))
        {
            throw new ArgumentException("Only ASCII text can be written as a bencode string.", nameof(text));
        }

        return new BencodeByteString(Encoding.ASCII.GetBytes(text));
    }

    /// <summary>The bytes as text when they are printable ASCII, otherwise as lowercase hex, for diagnostics.</summary>
    public override string ToString() => BencodeKey.Describe(Value.Span);
}
