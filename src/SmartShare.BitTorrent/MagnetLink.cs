using System.Globalization;
using System.Net;
using System.Text;

namespace SmartShare.BitTorrent;

/// <summary>Writes magnet links (BEP 9): <c>magnet:?xt=urn:btih:HEX&amp;dn=NAME&amp;xl=SIZE&amp;tr=...&amp;x.pe=...</c>.</summary>
public static class MagnetLink
{
    /// <param name="peers">Peers to start from (<c>x.pe</c>), e.g. the creator's own address.</param>
    public static string Build(InfoHash infoHash, string? name, long? size, IEnumerable<string>? trackers = null, IEnumerable<IPEndPoint>? peers = null)
    {
        var text = new StringBuilder("magnet:?xt=urn:btih:").Append(infoHash.ToString());
        if (!string.IsNullOrEmpty(name))
        {
            text.Append("&dn=").Append(Uri.EscapeDataString(name));
        }

        if (size is { } length)
        {
            text.Append("&xl=").Append(length.ToString(CultureInfo.InvariantCulture));
        }

        foreach (var tracker in trackers ?? [])
        {
            text.Append("&tr=").Append(Uri.EscapeDataString(tracker));
        }

        foreach (var peer in peers ?? [])
        {
            text.Append("&x.pe=").Append(Uri.EscapeDataString(peer.ToString()));
        }

        return text.ToString();
    }
}
