using System.Buffers;
using System.Globalization;
using System.Text;

namespace SmartShare.BitTorrent.Metainfo;

/// <summary>
/// Turns an info dictionary fetched from peers (BEP 9) into a whole .torrent file, so a torrent started from a
/// magnet link is stored and reopened exactly like one started from a file.
/// </summary>
public static class TorrentMetadata
{
    /// <summary>
    /// The bytes of a .torrent file: <c>d8:announce…13:announce-list…4:info&lt;info bytes&gt;e</c>, each tracker in a
    /// tier of its own, the info bytes copied unchanged so the info hash stays the same.
    /// </summary>
    /// <exception cref="TorrentFormatException">The info bytes are empty or over the metainfo limit.</exception>
    public static byte[] ToTorrentFile(ReadOnlySpan<byte> info, IEnumerable<string>? trackers = null)
    {
        if (info.IsEmpty || info.Length > TorrentLimits.MaxMetainfoBytes)
        {
            throw new TorrentFormatException($"An info dictionary of {info.Length} bytes cannot make a torrent file.");
        }

        var list = (trackers ?? []).Where(t => !string.IsNullOrWhiteSpace(t)).Distinct(StringComparer.Ordinal).ToList();
        var output = new ArrayBufferWriter<byte>(info.Length + 256);
        Write(output, "d");
        if (list.Count > 0)
        {
            Write(output, "8:announce");
            WriteString(output, list[0]);
            Write(output, "13:announce-list");
            Write(output, "l");
            foreach (var tracker in list)
            {
                Write(output, "l");
                WriteString(output, tracker);
                Write(output, "e");
            }

            Write(output, "e");
        }

        Write(output, "4:info");
        output.Write(info);
        Write(output, "e");
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Parses fetched info bytes as a torrent with the given trackers, checking they hash to <paramref name="expected"/>.</summary>
    /// <exception cref="TorrentFormatException">The bytes are not a usable v1 info dictionary, or hash to another info hash.</exception>
    public static Torrent ToTorrent(ReadOnlySpan<byte> info, InfoHash expected, IEnumerable<string>? trackers = null)
    {
        var actual = InfoHash.Compute(info);
        if (actual != expected)
        {
            throw new TorrentFormatException($"The info dictionary hashes to {actual}, not the expected {expected}.");
        }

        var torrent = TorrentParser.Parse(ToTorrentFile(info, trackers));
        return torrent.InfoHash == expected
            ? torrent
            : throw new TorrentFormatException("The info dictionary is not one canonical bencoded value.");
    }

    private static void Write(ArrayBufferWriter<byte> output, string ascii) => output.Write(Encoding.ASCII.GetBytes(ascii));

    private static void WriteString(ArrayBufferWriter<byte> output, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Write(output, bytes.Length.ToString(CultureInfo.InvariantCulture) + ":");
        output.Write(bytes);
    }
}
