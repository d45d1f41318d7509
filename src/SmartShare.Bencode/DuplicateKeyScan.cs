using System.Text;

namespace SmartShare.Bencode;

/// <summary>
/// The reader checks keys against their predecessor, which finds every duplicate while keys are sorted. Lbry mode
/// also accepts unsorted keys; such a dictionary gets this full check once, when it closes.
/// </summary>
internal static class DuplicateKeyScan
{
    /// <summary>
    /// Throws at the first key of the dictionary content [<paramref name="contentStart"/>, <paramref name="end"/>)
    /// that repeats an earlier one. The bytes are already validated, so parsing here needs no checks; only this
    /// rare path allocates.
    /// </summary>
    public static void ThrowIfAnyKeyRepeats(ReadOnlySpan<byte> input, int contentStart, int end, BencodeMode mode)
    {
        var integers = new HashSet<long>();
        var strings = new HashSet<string>(StringComparer.Ordinal);
        var position = contentStart;
        while (position < end)
        {
            var keyStart = position;
            bool added;
            if (input[position] == (byte)'i')
            {
                var close = input[position..].IndexOf((byte)'e') + position;
                added = !BencodeKeyOrder.TryParseCanonicalInteger(input[(position + 1)..close], out var integer)
                    || integers.Add(integer);
                position = close + 1;
            }
            else
            {
                var (contentOffset, length) = ScanValidatedByteString(input, position);
                var key = input.Slice(contentOffset, length);
                added = BencodeKeyOrder.TryReadAsInteger(mode, key, out var integer)
                    ? integers.Add(integer)
                    : strings.Add(Encoding.Latin1.GetString(key));
                position = contentOffset + length;
            }

            if (!added)
            {
                throw new BencodeFormatException("Duplicate dictionary key", keyStart);
            }

            position = SkipValidatedValue(input, position);
        }
    }

    private static (int ContentStart, int Length) ScanValidatedByteString(ReadOnlySpan<byte> input, int position)
    {
        var length = 0;
        while (input[position] != (byte)':')
        {
            length = (length * 10) + (input[position] - '0');
            position++;
        }

        return (position + 1, length);
    }

    private static int SkipValidatedValue(ReadOnlySpan<byte> input, int position)
    {
        var depth = 0;
        do
        {
            switch (input[position])
            {
                case (byte)'i':
                    position += input[position..].IndexOf((byte)'e') + 1;
                    break;
                case (byte)'l':
                case (byte)'d':
                    depth++;
                    position++;
                    break;
                case (byte)'e':
                    depth--;
                    position++;
                    break;
                default:
                    var (contentStart, length) = ScanValidatedByteString(input, position);
                    position = contentStart + length;
                    break;
            }
        }
        while (depth > 0);

        return position;
    }
}
