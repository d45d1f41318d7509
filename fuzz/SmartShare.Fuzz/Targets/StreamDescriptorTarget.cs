using SmartShare.Lbry.Streams;

namespace SmartShare.Fuzz.Targets;

/// <summary>An LBRY sd blob (stream descriptor).</summary>
public static class StreamDescriptorTarget
{
    public static void Run(byte[] input)
    {
        try
        {
            _ = StreamDescriptorCodec.Parse(input);
        }
        catch (InvalidStreamDescriptorException)
        {
        }
    }
}
