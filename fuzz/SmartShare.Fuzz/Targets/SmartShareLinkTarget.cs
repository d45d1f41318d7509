using System.Text;
using SmartShare.Node.Shares;

namespace SmartShare.Fuzz.Targets;

/// <summary>A smartshare: link, the bytes read as UTF-8.</summary>
public static class SmartShareLinkTarget
{
    public static void Run(byte[] input)
    {
        try
        {
            _ = SmartShareCodec.ParseLink(Encoding.UTF8.GetString(input));
        }
        catch (SmartShareFormatException)
        {
        }
    }
}
