using SmartShare.Node.Shares;

namespace SmartShare.Fuzz.Targets;

/// <summary>A .smartshare file.</summary>
public static class SmartShareFileTarget
{
    public static void Run(byte[] input)
    {
        try
        {
            _ = SmartShareCodec.Parse(input);
        }
        catch (SmartShareFormatException)
        {
        }
    }
}
