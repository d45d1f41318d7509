using SmartShare.Lbry.BlobExchange;

namespace SmartShare.Fuzz.Targets;

/// <summary>A blob-exchange request as the server reads it.</summary>
public static class BlobRequestTarget
{
    public static void Run(byte[] input)
    {
        try
        {
            _ = BlobExchangeCodec.DecodeRequest(input);
        }
        catch (BlobExchangeFormatException)
        {
        }
    }
}
