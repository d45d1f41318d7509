using System.Text;
using SmartShare.BitTorrent;

namespace SmartShare.Fuzz.Targets;

/// <summary>A magnet link, the bytes read as UTF-8.</summary>
public static class MagnetTarget
{
    public static void Run(byte[] input)
    {
        try
        {
            _ = MagnetLink.Parse(Encoding.UTF8.GetString(input));
        }
        catch (MagnetFormatException)
        {
        }
    }
}
