using SmartShare.Lbry.BlobExchange;

namespace SmartShare.Fuzz.Targets;

/// <summary>What a blob-exchange client has buffered: a response header, maybe followed by blob bytes.</summary>
public static class BlobResponseTarget
{
    public static void Run(byte[] input)
    {
        try
        {
            if (BlobExchangeCodec.TryDecodeResponse(input, out _, out var headerLength)
                && (headerLength <= 0 || headerLength > input.Length))
            {
                throw new InvalidOperationException($"A header of {headerLength} bytes in {input.Length} buffered.");
            }
        }
        catch (BlobExchangeFormatException)
        {
        }
    }
}
