using System.Globalization;
using System.Net;
using System.Text;
using SmartShare.Bencode;

namespace SmartShare.BitTorrent.Trackers;

/// <summary>
/// The HTTP tracker protocol without I/O: announce and scrape URLs (BEP 3, BEP 48) and the bencoded answers,
/// with compact IPv4 peers (BEP 23), the list-of-dictionaries form and compact IPv6 peers (BEP 7).
/// </summary>
public static class HttpTrackerCodec
{
    /// <summary>The longest interval taken from a tracker; anything longer is cut to this.</summary>
    public static readonly TimeSpan MaxInterval = TimeSpan.FromDays(1);

    private const int MaxReasonLength = 500;

    private static readonly BencodeLimits Limits = new()
    {
        MaxDepth = 8,
        MaxByteStringLength = 1024 * 1024,
        MaxItems = 200_000,
    };

    /// <summary>
    /// The announce URL for <paramref name="request"/>: the tracker's URL with its own query kept (a passkey, say),
    /// then info_hash and peer_id percent-encoded byte by byte, port, uploaded, downloaded, left, compact=1, numwant,
    /// key in hex, event unless it is <see cref="TrackerEvent.None"/>, and trackerid when known.
    /// </summary>
    public static Uri BuildAnnounceUri(Uri announce, AnnounceRequest request)
    {
        ArgumentNullException.ThrowIfNull(announce);
        ArgumentNullException.ThrowIfNull(request);
        if (request.PeerId.Length != 20)
        {
            throw new ArgumentException($"A peer id is 20 bytes, not {request.PeerId.Length}.", nameof(request));
        }

        var query = new StringBuilder(256);
        AppendBytes(query, "info_hash", request.InfoHash);
        AppendBytes(query, "peer_id", request.PeerId.Span);
        Append(query, "port", request.Port.ToString(CultureInfo.InvariantCulture));
        Append(query, "uploaded", Math.Max(0, request.Uploaded).ToString(CultureInfo.InvariantCulture));
        Append(query, "downloaded", Math.Max(0, request.Downloaded).ToString(CultureInfo.InvariantCulture));
        Append(query, "left", Math.Max(0, request.Left).ToString(CultureInfo.InvariantCulture));
        Append(query, "compact", "1");
        Append(query, "numwant", Math.Max(0, request.NumWant).ToString(CultureInfo.InvariantCulture));
        Append(query, "key", request.Key.ToString("x8", CultureInfo.InvariantCulture));
        var eventName = request.Event switch
        {
            TrackerEvent.Started => "started",
            TrackerEvent.Completed => "completed",
            TrackerEvent.Stopped => "stopped",
            _ => null,
        };
        if (eventName is not null)
        {
            Append(query, "event", eventName);
        }

        if (request.TrackerId is not null)
        {
            AppendBytes(query, "trackerid", Encoding.UTF8.GetBytes(request.TrackerId));
        }

        return WithQuery(announce, query);
    }

    /// <summary>
    /// The scrape URL (BEP 48): the announce URL whose last path segment starts with "announce", that word replaced
    /// by "scrape", with info_hash added to the query. Null when the last segment does not start with "announce".
    /// </summary>
    public static Uri? BuildScrapeUri(Uri announce, InfoHash infoHash)
    {
        ArgumentNullException.ThrowIfNull(announce);
        var path = announce.AbsolutePath;
        var slash = path.LastIndexOf('/');
        var segment = path[(slash + 1)..];
        if (!segment.StartsWith("announce", StringComparison.Ordinal))
        {
            return null;
        }

        var builder = new UriBuilder(announce)
        {
            Path = string.Concat(path.AsSpan(0, slash + 1), "scrape", segment.AsSpan("announce".Length)),
        };
        var query = new StringBuilder(80);
        AppendBytes(query, "info_hash", infoHash);
        return WithQuery(builder.Uri, query);
    }

    /// <summary>Reads an announce answer.</summary>
    /// <exception cref="TrackerException">
    /// <see cref="TrackerErrorKind.Failure"/> when the tracker sent a failure reason; <see cref="TrackerErrorKind.BadResponse"/>
    /// when the answer is not a bencoded dictionary with a positive interval and well-formed peers.
    /// </exception>
    public static AnnounceResponse ParseAnnounce(ReadOnlySpan<byte> body, int maxPeers)
    {
        var root = DecodeRoot(body, "announce");
        ThrowOnFailure(root);

        var interval = ReadInterval(root, "interval")
            ?? throw Bad("The announce answer has no positive \"interval\".");
        var minInterval = ReadInterval(root, "min interval");
        var peers = new PeerCollector(maxPeers);

        if (root.TryGetValue("peers", out var peersValue))
        {
            switch (peersValue)
            {
                case BencodeByteString compact:
                    ReadCompactPeers(compact.Value.Span, 4, peers);
                    break;
                case BencodeList list:
                    ReadPeerDictionaries(list, peers);
                    break;
                default:
                    throw Bad("The announce answer's \"peers\" is neither a byte string nor a list.");
            }
        }

        if (root.TryGetValue("peers6", out var peers6Value))
        {
            if (peers6Value is not BencodeByteString compact6)
            {
                throw Bad("The announce answer's \"peers6\" is not a byte string.");
            }

            ReadCompactPeers(compact6.Value.Span, 16, peers);
        }

        return new AnnounceResponse(
            interval,
            minInterval,
            peers.ToList(),
            ReadCount(root, "complete"),
            ReadCount(root, "incomplete"),
            ReadText(root, "warning message"),
            ReadText(root, "tracker id"));
    }

    /// <summary>Reads a scrape answer; null when it does not mention <paramref name="infoHash"/>.</summary>
    /// <exception cref="TrackerException">As for <see cref="ParseAnnounce"/>.</exception>
    public static ScrapeResponse? ParseScrape(ReadOnlySpan<byte> body, InfoHash infoHash)
    {
        var root = DecodeRoot(body, "scrape");
        ThrowOnFailure(root);
        if (!root.TryGetValue("files", out var filesValue))
        {
            return null;
        }

        if (filesValue is not BencodeDictionary files)
        {
            throw Bad("The scrape answer's \"files\" is not a dictionary.");
        }

        Span<byte> key = stackalloc byte[InfoHash.Length];
        infoHash.WriteTo(key);
        if (!files.TryGetValue(key, out var entryValue))
        {
            return null;
        }

        if (entryValue is not BencodeDictionary entry)
        {
            throw Bad("The scrape answer's entry for the torrent is not a dictionary.");
        }

        return new ScrapeResponse(
            ReadCount(entry, "complete") ?? 0,
            ReadCount(entry, "downloaded") ?? 0,
            ReadCount(entry, "incomplete") ?? 0);
    }

    /// <summary>Percent-encodes bytes: unreserved characters (RFC 3986) stay literal, every other byte is %XX.</summary>
    public static string PercentEncode(ReadOnlySpan<byte> bytes)
    {
        var builder = new StringBuilder(bytes.Length * 3);
        AppendPercentEncoded(builder, bytes);
        return builder.ToString();
    }

    private static void AppendPercentEncoded(StringBuilder builder, ReadOnlySpan<byte> bytes)
    {
        const string hex = "0123456789ABCDEF";
        foreach (var b in bytes)
        {
            if (b is (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'a' and <= (byte)'z') or (>= (byte)'0' and <= (byte)'9')
                or (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(hex[b >> 4]).Append(hex[b & 0xF]);
            }
        }
    }

    private static void AppendBytes(StringBuilder query, string name, InfoHash hash)
    {
        Span<byte> bytes = stackalloc byte[InfoHash.Length];
        hash.WriteTo(bytes);
        AppendBytes(query, name, bytes);
    }

    private static void AppendBytes(StringBuilder query, string name, ReadOnlySpan<byte> value)
    {
        if (query.Length > 0)
        {
            query.Append('&');
        }

        query.Append(name).Append('=');
        AppendPercentEncoded(query, value);
    }

    private static void Append(StringBuilder query, string name, string value) =>
        query.Append('&').Append(name).Append('=').Append(value);

    private static Uri WithQuery(Uri announce, StringBuilder added)
    {
        var existing = announce.Query.TrimStart('?').TrimEnd('&');
        var builder = new UriBuilder(announce)
        {
            Fragment = string.Empty,
            Query = existing.Length == 0 ? added.ToString() : string.Concat(existing, "&", added.ToString()),
        };
        return builder.Uri;
    }

    private static BencodeDictionary DecodeRoot(ReadOnlySpan<byte> body, string what)
    {
        BencodeValue value;
        try
        {
            value = BencodeDecoder.Decode(body.ToArray(), BencodeMode.Strict, Limits);
        }
        catch (BencodeFormatException e)
        {
            throw new TrackerException(TrackerErrorKind.BadResponse, $"The {what} answer is not valid bencode: {e.Message}", e);
        }

        return value as BencodeDictionary ?? throw Bad($"The {what} answer is not a bencoded dictionary.");
    }

    private static void ThrowOnFailure(BencodeDictionary root)
    {
        if (!root.TryGetValue("failure reason", out var value))
        {
            return;
        }

        var reason = value is BencodeByteString text ? Printable(text.Value.Span) : "(no reason given)";
        throw new TrackerException(TrackerErrorKind.Failure, $"The tracker refused: {reason}", failureReason: reason);
    }

    private static TimeSpan? ReadInterval(BencodeDictionary root, string key)
    {
        if (!root.TryGetValue(key, out var value) || value is not BencodeInteger { Value: > 0 } seconds)
        {
            return null;
        }

        return seconds.Value >= (long)MaxInterval.TotalSeconds ? MaxInterval : TimeSpan.FromSeconds(seconds.Value);
    }

    private static int? ReadCount(BencodeDictionary root, string key) =>
        root.TryGetValue(key, out var value) && value is BencodeInteger { Value: >= 0 and <= int.MaxValue } count
            ? (int)count.Value
            : null;

    private static string? ReadText(BencodeDictionary root, string key) =>
        root.TryGetValue(key, out var value) && value is BencodeByteString text ? Printable(text.Value.Span) : null;

    /// <summary>Tracker text as something safe to log: UTF-8 with replacement, control characters blanked, bounded.</summary>
    internal static string Printable(ReadOnlySpan<byte> bytes)
    {
        var text = Encoding.UTF8.GetString(bytes[..Math.Min(bytes.Length, MaxReasonLength * 4)]);
        var builder = new StringBuilder(Math.Min(text.Length, MaxReasonLength));
        foreach (var c in text)
        {
            if (builder.Length == MaxReasonLength)
            {
                builder.Append("...");
                break;
            }

            builder.Append(char.IsControl(c) ? ' ' : c);
        }

        return builder.ToString().Trim();
    }

    private static void ReadCompactPeers(ReadOnlySpan<byte> bytes, int addressLength, PeerCollector peers)
    {
        var entry = addressLength + 2;
        if (bytes.Length % entry != 0)
        {
            throw Bad($"The announce answer's compact peers are {bytes.Length} bytes, not a multiple of {entry}.");
        }

        for (var offset = 0; offset < bytes.Length && !peers.Full; offset += entry)
        {
            var address = new IPAddress(bytes.Slice(offset, addressLength));
            var port = (bytes[offset + addressLength] << 8) | bytes[offset + addressLength + 1];
            peers.Add(address, port);
        }
    }

    private static void ReadPeerDictionaries(BencodeList list, PeerCollector peers)
    {
        foreach (var item in list.Items)
        {
            if (peers.Full)
            {
                return;
            }

            // One odd entry (a host name, a bad port) costs that peer only.
            if (item is BencodeDictionary peer
                && peer.TryGetValue("ip", out var ipValue) && ipValue is BencodeByteString ip
                && peer.TryGetValue("port", out var portValue) && portValue is BencodeInteger { Value: > 0 and <= IPEndPoint.MaxPort } port
                && IPAddress.TryParse(Encoding.ASCII.GetString(ip.Value.Span), out var address))
            {
                peers.Add(address, (int)port.Value);
            }
        }
    }

    private static TrackerException Bad(string message) => new(TrackerErrorKind.BadResponse, message);

    /// <summary>Collects peers without port 0 or duplicates, up to a bound.</summary>
    internal sealed class PeerCollector(int maxPeers)
    {
        private readonly List<IPEndPoint> _peers = [];
        private readonly HashSet<IPEndPoint> _seen = [];

        public bool Full => _peers.Count >= maxPeers;

        public void Add(IPAddress address, int port)
        {
            if (port == 0 || Full)
            {
                return;
            }

            if (address.IsIPv4MappedToIPv6)
            {
                address = address.MapToIPv4();
            }

            var endPoint = new IPEndPoint(address, port);
            if (_seen.Add(endPoint))
            {
                _peers.Add(endPoint);
            }
        }

        public IReadOnlyList<IPEndPoint> ToList() => _peers.ToArray();
    }
}
