using SmartShare.Bencode;

namespace SmartShare.Fuzz.Targets;

/// <summary>lbry-sdk's bencode with integer keys; what decodes must also encode.</summary>
public static class BencodeLbryTarget
{
    public static void Run(byte[] input)
    {
        BencodeValue value;
        try
        {
            value = BencodeDecoder.Decode(input, BencodeMode.Lbry);
        }
        catch (BencodeFormatException)
        {
            return;
        }

        _ = BencodeEncoder.Encode(value, BencodeMode.Lbry);
    }
}
