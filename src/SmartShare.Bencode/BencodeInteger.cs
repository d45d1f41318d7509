using System.Globalization;

namespace SmartShare.Bencode;

/// <summary>A bencoded integer, <c>i42e</c>.</summary>
public sealed class BencodeInteger : BencodeValue
{
    public BencodeInteger(long value)
    {
        Value = value;
    }

    public long Value { get; }

    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}
