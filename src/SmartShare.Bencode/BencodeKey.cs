using System.Globalization;
using System.Text;

namespace SmartShare.Bencode;

/// <summary>
/// A dictionary key: a byte string (both modes) or an integer (Lbry mode only, written <c>i0e</c>).
/// Equality is exact: the integer 3 and the byte string "3" are different keys here, though
/// <see cref="BencodeDictionary"/> lookups and Lbry-mode duplicate checks treat them as the same.
/// </summary>
public readonly struct BencodeKey : IEquatable<BencodeKey>
{
    private readonly long _integer;
    private readonly ReadOnlyMemory<byte> _bytes;

    private BencodeKey(bool isInteger, long integer, ReadOnlyMemory<byte> bytes)
    {
        IsInteger = isInteger;
        _integer = integer;
        _bytes = bytes;
    }

    public bool IsInteger { get; }

    /// <summary>The integer of an integer key.</summary>
    public long IntegerValue => IsInteger ? _integer : throw new InvalidOperationException("This key is a byte string, not an integer.");

    /// <summary>The bytes of a byte-string key.</summary>
    public ReadOnlyMemory<byte> Bytes => IsInteger ? throw new InvalidOperationException("This key is an integer, not a byte string.") : _bytes;

    public static BencodeKey FromInteger(long key) => new(true, key, default);

    public static BencodeKey FromBytes(ReadOnlyMemory<byte> key) => new(false, 0, key);

    public static BencodeKey FromAscii(string key) => FromBytes(BencodeByteString.FromAscii(key).Value);

    public static bool operator ==(BencodeKey left, BencodeKey right) => left.Equals(right);

    public static bool operator !=(BencodeKey left, BencodeKey right) => !left.Equals(right);

    public bool Equals(BencodeKey other) =>
        IsInteger == other.IsInteger && (IsInteger ? _integer == other._integer : _bytes.Span.SequenceEqual(other._bytes.Span));

    public override bool Equals(object? obj) => obj is BencodeKey other && Equals(other);

    public override int GetHashCode()
    {
        if (IsInteger)
        {
            return _integer.GetHashCode();
        }

        var hash = new HashCode();
        hash.AddBytes(_bytes.Span);
        return hash.ToHashCode();
    }

    public override string ToString() => IsInteger ? _integer.ToString(CultureInfo.InvariantCulture) : Describe(_bytes.Span);

    /// <summary>True when this key names <paramref name="key"/>: the integer itself or the byte string of its decimal text.</summary>
    internal bool Names(long key) =>
        IsInteger ? _integer == key : BencodeKeyOrder.TryParseCanonicalInteger(_bytes.Span, out var spelled) && spelled == key;

    /// <summary>True when this key names <paramref name="key"/>: the same bytes, or the integer those bytes spell.</summary>
    internal bool Names(ReadOnlySpan<byte> key) =>
        IsInteger ? BencodeKeyOrder.TryParseCanonicalInteger(key, out var spelled) && spelled == _integer : _bytes.Span.SequenceEqual(key);

    internal static string Describe(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (b is < 0x20 or > 0x7e)
            {
                return Convert.ToHexStringLower(bytes);
            }
        }

        return Encoding.ASCII.GetString(bytes);
    }
}
