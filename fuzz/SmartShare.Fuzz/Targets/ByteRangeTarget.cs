using System.Text;
using SmartShare.Node.Streaming;

namespace SmartShare.Fuzz.Targets;

/// <summary>
/// An HTTP Range header against resources of a few lengths. An unsatisfiable range is an
/// <see cref="ArgumentOutOfRangeException"/> (416); a range returned must lie inside the resource.
/// </summary>
public static class ByteRangeTarget
{
    private static readonly long[] Lengths = [0, 1, 1000, 1L << 40, long.MaxValue];

    public static void Run(byte[] input)
    {
        var header = Encoding.UTF8.GetString(input);
        foreach (var length in Lengths)
        {
            ByteRange? range;
            try
            {
                range = ByteRange.Parse(header, length);
            }
            catch (ArgumentOutOfRangeException)
            {
                continue;
            }

            if (range is { } r && (r.First < 0 || r.First > r.Last || r.Last >= length))
            {
                throw new InvalidOperationException($"Range {r.First}-{r.Last} lies outside a {length}-byte resource.");
            }
        }
    }
}
