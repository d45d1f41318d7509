using System.Globalization;

namespace SmartShare.Node.Streaming;

/// <summary>One satisfiable byte range of a resource, inclusive at both ends (RFC 9110 section 14).</summary>
public readonly record struct ByteRange(long First, long Last)
{
    public long Length => Last - First + 1;

    /// <summary>
    /// Reads a <c>Range</c> header for a resource of <paramref name="length"/> bytes. Returns null when there is no
    /// header or it is not a single bytes range (then the whole resource is sent, as the RFC allows); throws
    /// <see cref="ArgumentOutOfRangeException"/> when the range cannot be satisfied (416).
    /// </summary>
    public static ByteRange? Parse(string? header, long length)
    {
        if (string.IsNullOrWhiteSpace(header) || !header.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var spec = header.AsSpan(6).Trim();
        if (spec.Contains(','))
        {
            return null;
        }

        var dash = spec.IndexOf('-');
        if (dash < 0)
        {
            return null;
        }

        var startText = spec[..dash].Trim();
        var endText = spec[(dash + 1)..].Trim();
        if (startText.IsEmpty)
        {
            // A suffix range: the last N bytes.
            if (!long.TryParse(endText, NumberStyles.None, CultureInfo.InvariantCulture, out var suffix) || suffix == 0 || length == 0)
            {
                throw new ArgumentOutOfRangeException(nameof(header), header, "The range asks for no bytes.");
            }

            return new ByteRange(Math.Max(0, length - suffix), length - 1);
        }

        if (!long.TryParse(startText, NumberStyles.None, CultureInfo.InvariantCulture, out var first))
        {
            return null;
        }

        var last = length - 1;
        if (!endText.IsEmpty)
        {
            if (!long.TryParse(endText, NumberStyles.None, CultureInfo.InvariantCulture, out last) || last < first)
            {
                return null;
            }

            last = Math.Min(last, length - 1);
        }

        if (first >= length)
        {
            throw new ArgumentOutOfRangeException(nameof(header), header, $"The range starts at {first}, past the end of the {length}-byte file.");
        }

        return new ByteRange(first, last);
    }
}
