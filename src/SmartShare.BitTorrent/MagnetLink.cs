using System.Globalization;
using System.Net;
using System.Text;

namespace SmartShare.BitTorrent;

/// <summary>
/// What a magnet link (BEP 9) says: the torrent's info hash and hints for finding it.
/// </summary>
/// <param name="Name">"dn": a display name until the metadata arrives.</param>
/// <param name="Trackers">"tr" (and "tr.N"), in link order, without duplicates.</param>
/// <param name="Peers">"x.pe": peers to dial at once.</param>
/// <param name="DhtNodes">"dht": DHT nodes to bootstrap from (a SmartShare extension; host names or addresses).</param>
/// <param name="Size">"xl": the total length in bytes.</param>
public sealed record Magnet(
    InfoHash InfoHash,
    string? Name,
    IReadOnlyList<string> Trackers,
    IReadOnlyList<IPEndPoint> Peers,
    IReadOnlyList<DnsEndPoint> DhtNodes,
    long? Size);

/// <summary>A text is not a usable magnet link; the message is a sentence saying why.</summary>
public sealed class MagnetFormatException : FormatException
{
    public MagnetFormatException()
        : base("The text is not a usable magnet link.")
    {
    }

    public MagnetFormatException(string message)
        : base(message)
    {
    }

    public MagnetFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Reads and writes magnet links (BEP 9): <c>magnet:?xt=urn:btih:HEX&amp;dn=NAME&amp;xl=SIZE&amp;tr=...&amp;x.pe=...&amp;dht=...</c>.</summary>
public static class MagnetLink
{
    /// <summary>The longest link accepted (64 KiB); a link is typed or pasted, never megabytes.</summary>
    public const int MaxLength = 64 * 1024;

    /// <summary>At most this many trackers, peers and DHT nodes each are kept; the rest are ignored.</summary>
    public const int MaxEntries = 100;

    private const string Base32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    /// <param name="peers">Peers to start from (<c>x.pe</c>), e.g. the creator's own address.</param>
    /// <param name="dhtNodes">DHT nodes to bootstrap from (<c>dht=host:port</c>, our own extension).</param>
    public static string Build(
        InfoHash infoHash,
        string? name,
        long? size,
        IEnumerable<string>? trackers = null,
        IEnumerable<IPEndPoint>? peers = null,
        IEnumerable<DnsEndPoint>? dhtNodes = null)
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

        // Endpoints are written as they are ("1.2.3.4:6881", "[2001:db8::1]:6881"): libtorrent reads x.pe and dht=
        // without percent-decoding, so an escaped colon would hide the peer from it. ':' '[' ']' are allowed in a
        // query, and an address has no '&', '#' or '='; only a host name is escaped, to be safe.
        foreach (var peer in peers ?? [])
        {
            text.Append("&x.pe=").Append(peer.ToString());
        }

        foreach (var node in dhtNodes ?? [])
        {
            var host = IPAddress.TryParse(node.Host.Trim('[', ']'), out var address)
                ? address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString()
                : Uri.EscapeDataString(node.Host);
            text.Append("&dht=").Append(host).Append(':').Append(node.Port.ToString(CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    /// <summary>
    /// Parses a magnet link. The info hash (<c>xt=urn:btih:</c>, 40 hex or 32 base32 characters, any case) is
    /// required; a tracker, peer or DHT node that cannot be read is skipped rather than failing the whole link, and
    /// unknown parameters are ignored.
    /// </summary>
    /// <exception cref="MagnetFormatException">Not a magnet link, too long, no usable v1 info hash, or a malformed <c>xl</c>.</exception>
    public static Magnet Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxLength)
        {
            throw new MagnetFormatException($"The magnet link is {text.Length} characters long; links over {MaxLength} are refused.");
        }

        text = text.Trim();
        if (!text.StartsWith("magnet:?", StringComparison.OrdinalIgnoreCase))
        {
            throw new MagnetFormatException($"\"{Shorten(text)}\" is not a magnet link (it does not start with \"magnet:?\").");
        }

        InfoHash? hash = null;
        var sawV2 = false;
        string? name = null;
        long? size = null;
        var trackers = new List<string>();
        var peers = new List<IPEndPoint>();
        var nodes = new List<DnsEndPoint>();
        foreach (var part in text["magnet:?".Length..].Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                continue;
            }

            var key = BaseKey(part[..equals].ToLowerInvariant());
            var value = Decode(part[(equals + 1)..], plusIsSpace: key == "dn");
            switch (key)
            {
                case "xt":
                    if (value.StartsWith("urn:btih:", StringComparison.OrdinalIgnoreCase))
                    {
                        var parsed = ParseHash(value["urn:btih:".Length..]);
                        if (hash is { } earlier && earlier != parsed)
                        {
                            throw new MagnetFormatException($"The magnet link names two different info hashes, {earlier} and {parsed}.");
                        }

                        hash = parsed;
                    }
                    else if (value.StartsWith("urn:btmh:", StringComparison.OrdinalIgnoreCase))
                    {
                        sawV2 = true;
                    }

                    break;
                case "dn":
                    name ??= value;
                    break;
                case "xl":
                    size = long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var length)
                        ? length
                        : throw new MagnetFormatException($"The magnet link's size \"xl={Shorten(value)}\" is not a whole number of bytes.");
                    break;
                case "tr":
                    if (trackers.Count < MaxEntries && IsTracker(value) && !trackers.Contains(value, StringComparer.Ordinal))
                    {
                        trackers.Add(value);
                    }

                    break;
                case "x.pe":
                    if (peers.Count < MaxEntries && IPEndPoint.TryParse(value, out var peer) && peer.Port is > 0 and <= 65535
                        && value.Contains(':', StringComparison.Ordinal) && !peers.Contains(peer))
                    {
                        peers.Add(peer);
                    }

                    break;
                case "dht":
                    if (nodes.Count < MaxEntries && TryParseHostPort(value, out var node) && !nodes.Contains(node))
                    {
                        nodes.Add(node);
                    }

                    break;
            }
        }

        if (hash is null)
        {
            throw sawV2
                ? new MagnetFormatException("The magnet link names only a BitTorrent v2 info hash (urn:btmh), which SmartShare cannot download yet; a magnet with a v1 hash (urn:btih), as hybrid torrents have, works.")
                : new MagnetFormatException("The magnet link has no BitTorrent info hash (xt=urn:btih:...).");
        }

        return new Magnet(hash.Value, name, trackers, peers, nodes, size);
    }

    /// <summary>Like <see cref="Parse"/>, but false instead of an exception.</summary>
    public static bool TryParse(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Magnet? magnet)
    {
        magnet = null;
        if (text is null)
        {
            return false;
        }

        try
        {
            magnet = Parse(text);
            return true;
        }
        catch (MagnetFormatException)
        {
            return false;
        }
    }

    // "tr.1", "x.pe.2", "xt.1": numbered copies of a parameter (BEP 9 and the magnet draft allow both forms).
    private static string BaseKey(string key)
    {
        var dot = key.LastIndexOf('.');
        return dot > 0 && key[(dot + 1)..].All(char.IsAsciiDigit) && key.Length > dot + 1 ? key[..dot] : key;
    }

    private static string Decode(string value, bool plusIsSpace)
    {
        if (plusIsSpace)
        {
            value = value.Replace('+', ' ');
        }

        return Uri.UnescapeDataString(value);
    }

    private static InfoHash ParseHash(string text)
    {
        if (text.Length == InfoHash.Length * 2)
        {
            return InfoHash.TryParse(text, out var hash)
                ? hash
                : throw new MagnetFormatException($"The magnet link's info hash \"{Shorten(text)}\" is not 40 hex digits.");
        }

        if (text.Length == 32)
        {
            Span<byte> bytes = stackalloc byte[InfoHash.Length];
            ulong buffer = 0;
            var bits = 0;
            var written = 0;
            foreach (var c in text)
            {
                var value = Base32Alphabet.IndexOf(char.ToUpperInvariant(c), StringComparison.Ordinal);
                if (value < 0)
                {
                    throw new MagnetFormatException($"The magnet link's info hash \"{text}\" is not 32 base32 characters.");
                }

                buffer = (buffer << 5) | (uint)value;
                bits += 5;
                if (bits >= 8)
                {
                    bits -= 8;
                    bytes[written++] = (byte)(buffer >> bits);
                }
            }

            return InfoHash.FromBytes(bytes);
        }

        throw new MagnetFormatException(
            $"The magnet link's info hash \"{Shorten(text)}\" is {text.Length} characters; a v1 info hash is 40 hex or 32 base32 characters.");
    }

    private static bool IsTracker(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == "udp");

    private static bool TryParseHostPort(string value, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DnsEndPoint? node)
    {
        node = null;
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port is <= 0 or > 65535)
        {
            return false;
        }

        var host = value[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
            if (!IPAddress.TryParse(host, out _))
            {
                return false;
            }
        }
        else if (host.Contains(':', StringComparison.Ordinal) || Uri.CheckHostName(host) == UriHostNameType.Unknown)
        {
            return false;
        }

        node = new DnsEndPoint(host, port);
        return true;
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : string.Concat(text.AsSpan(0, 60), "...");
}
