using SmartShare.BitTorrent.Metainfo;

namespace SmartShare.Fuzz.Targets;

/// <summary>A .torrent file.</summary>
public static class MetainfoTarget
{
    public static void Run(byte[] input)
    {
        try
        {
            _ = TorrentParser.Parse(input.AsSpan());
        }
        catch (TorrentFormatException)
        {
        }
    }
}
