namespace SmartShare.Bencode;

/// <summary>
/// How dictionary keys compare. Strict mode compares raw bytes. Lbry mode reads a byte-string key that spells a
/// canonical integer ("0", "42", "-7") as that integer, because lbry-sdk turns every decoded key into its decimal
/// text; integers then come first in numeric order, other byte strings after them in raw byte order.
/// </summary>
internal static class BencodeKeyOrder
{
    public static int Compare(
        bool leftIsInteger, long leftInteger, ReadOnlySpan<byte> leftBytes,
        bool rightIsInteger, long rightInteger, ReadOnlySpan<byte> rightBytes)
    {
        if (leftIsInteger)
        {
            return rightIsInteger ? leftInteger.CompareTo(rightInteger) : -1;
        }

        return rightIsInteger ? 1 : leftBytes.SequenceCompareTo(rightBytes);
    }

    /// <summary>Turns a byte-string key into the integer it spells, when the mode treats it that way.</summary>
    public static bool TryReadAsInteger(BencodeMode mode, ReadOnlySpan<byte> key, out long value)
    {
        value = 0;
        return mode == BencodeMode.Lbry && TryParseCanonicalInteger(key, out value);
    }

    /// <summary>Parses <c>0</c>, <c>-?[1-9][0-9]*</c> that fits a <see cref="long"/>; anything else is not an integer.</summary>
    public static bool TryParseCanonicalInteger(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        var negative = text.Length > 0 && text[0] == (byte)'-';
        var digits = negative ? text[1..] : text;
        if (digits.Length == 0 || digits.Length > BencodeLimits.IntegerDigitsCeiling)
        {
            return false;
        }

        if (digits[0] == (byte)'0' && (digits.Length > 1 || negative))
        {
            return false;
        }

        ulong magnitude = 0;
        foreach (var digit in digits)
        {
            var d = (uint)(digit - '0');
            if (d > 9)
            {
                return false;
            }

            // 19 digits never overflow a ulong, so the range check after the loop is enough.
            magnitude = (magnitude * 10) + d;
        }

        return TryApplySign(magnitude, negative, out value);
    }

    /// <summary>Applies a sign to a magnitude, failing when the result does not fit a <see cref="long"/>.</summary>
    public static bool TryApplySign(ulong magnitude, bool negative, out long value)
    {
        if (negative)
        {
            if (magnitude > (ulong)long.MaxValue + 1)
            {
                value = 0;
                return false;
            }

            value = (long)(0 - magnitude);
            return true;
        }

        if (magnitude > long.MaxValue)
        {
            value = 0;
            return false;
        }

        value = (long)magnitude;
        return true;
    }
}
