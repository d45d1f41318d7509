using SmartShare.Bencode;

namespace SmartShare.Fuzz.Targets;

/// <summary>Strict (BitTorrent) bencode: what decodes re-encodes to the same bytes, since strict admits one spelling.</summary>
public static class BencodeStrictTarget
{
    public static void Run(byte[] input)
    {
        BencodeValue value;
        try
        {
            value = BencodeDecoder.Decode(input, BencodeMode.Strict);
        }
        catch (BencodeFormatException)
        {
            return;
        }

        var again = BencodeEncoder.Encode(value, BencodeMode.Strict);
        if (!again.AsSpan().SequenceEqual(input))
        {
            throw new InvalidOperationException("Strict bencode decoded and re-encoded to different bytes.");
        }
    }
}
