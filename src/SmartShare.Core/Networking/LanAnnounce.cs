using System.Globalization;
using System.Text;

namespace SmartShare.Networking;

/// <summary>
/// One local-discovery datagram in the HTTP-like form of BEP 14: a request line <c>METHOD * HTTP/1.1</c>, header
/// lines, and blank lines. BitTorrent's <c>BT-SEARCH</c> names info hashes in <c>Infohash</c> headers; the LBRY
/// equivalent (<c>LBRY-SEARCH</c>) names sd hashes in <c>Sd-Hash</c> headers. Several hashes may share one message.
/// </summary>
/// <param name="Port">The TCP port the sender takes peers on.</param>
/// <param name="Hashes">The hashes announced, lower-case hex, each exactly the format's length.</param>
/// <param name="Cookie">The sender's cookie (so a node ignores its own announces), or null.</param>
/// <param name="Headers">Every header as given (names lower-case), for a format's extra fields.</param>
public sealed record LanAnnounce(int Port, IReadOnlyList<string> Hashes, string? Cookie, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    /// <summary>The first value of header <paramref name="name"/> (case-insensitive), or null.</summary>
    public string? Header(string name)
    {
        foreach (var (key, value) in Headers)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        return null;
    }
}

/// <summary>A local-discovery datagram that is not a well-formed announce of the expected kind.</summary>
public sealed class LanAnnounceFormatException : FormatException
{
    public LanAnnounceFormatException()
    {
    }

    public LanAnnounceFormatException(string message)
        : base(message)
    {
    }

    public LanAnnounceFormatException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>
/// Writes and reads <see cref="LanAnnounce"/> datagrams of one kind (a method and a hash header). Reading is
/// bounded: a datagram over <see cref="MaxDatagramBytes"/>, a line over <see cref="MaxLineLength"/>, more than
/// <see cref="MaxHeaders"/> headers or any byte outside printable ASCII is refused with
/// <see cref="LanAnnounceFormatException"/>; nothing else is thrown.
/// </summary>
public sealed class LanAnnounceFormat
{
    /// <summary>The most a datagram may hold (an Ethernet frame's payload, as libtorrent reads at most 1500).</summary>
    public const int MaxDatagramBytes = 1400;

    public const int MaxLineLength = 256;

    public const int MaxHeaders = 40;

    public const int MaxCookieLength = 64;

    /// <summary>BEP 14: <c>BT-SEARCH</c> with 40-hex-digit <c>Infohash</c> headers.</summary>
    public static LanAnnounceFormat BitTorrent { get; } = new("BT-SEARCH", "Infohash", 40);

    /// <summary>Ours for LBRY: <c>LBRY-SEARCH</c> with 96-hex-digit <c>Sd-Hash</c> headers (see docs/architecture.md).</summary>
    public static LanAnnounceFormat Lbry { get; } = new("LBRY-SEARCH", "Sd-Hash", 96);

    public LanAnnounceFormat(string method, string hashHeader, int hashHexLength)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(method);
        ArgumentException.ThrowIfNullOrWhiteSpace(hashHeader);
        ArgumentOutOfRangeException.ThrowIfLessThan(hashHexLength, 2);
        Method = method;
        HashHeader = hashHeader;
        HashHexLength = hashHexLength;
    }

    public string Method { get; }

    public string HashHeader { get; }

    public int HashHexLength { get; }

    /// <summary>
    /// The datagrams announcing <paramref name="hashes"/> (lower-case hex), as many hashes to each as fit under
    /// <see cref="MaxDatagramBytes"/>. <paramref name="extraHeaders"/> come after the port.
    /// </summary>
    public IReadOnlyList<byte[]> Encode(
        string host, int port, IEnumerable<string> hashes, string? cookie, IReadOnlyList<KeyValuePair<string, string>>? extraHeaders = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(hashes);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        var head = new StringBuilder();
        head.Append(CultureInfo.InvariantCulture, $"{Method} * HTTP/1.1\r\nHost: {host}\r\nPort: {port}\r\n");
        foreach (var (name, value) in extraHeaders ?? [])
        {
            head.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
        }

        var tail = cookie is null ? "\r\n\r\n" : $"cookie: {cookie}\r\n\r\n\r\n";
        var messages = new List<byte[]>();
        var body = new StringBuilder();
        var count = 0;
        foreach (var hash in hashes)
        {
            if (hash.Length != HashHexLength || !IsHex(hash))
            {
                throw new ArgumentException($"A hash must be {HashHexLength} hex digits, not '{hash}'.", nameof(hashes));
            }

            var line = $"{HashHeader}: {hash.ToLowerInvariant()}\r\n";
            if (count > 0 && head.Length + body.Length + line.Length + tail.Length > MaxDatagramBytes)
            {
                messages.Add(Encoding.ASCII.GetBytes(head + body.ToString() + tail));
                body.Clear();
                count = 0;
            }

            body.Append(line);
            count++;
        }

        if (count > 0)
        {
            messages.Add(Encoding.ASCII.GetBytes(head + body.ToString() + tail));
        }

        return messages;
    }

    /// <exception cref="LanAnnounceFormatException">The datagram is not a well-formed announce of this kind.</exception>
    public LanAnnounce Decode(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length > MaxDatagramBytes)
        {
            throw new LanAnnounceFormatException($"A {datagram.Length}-byte announce is over the {MaxDatagramBytes}-byte limit.");
        }

        foreach (var b in datagram)
        {
            if (b is not ((>= 0x20 and < 0x7f) or (byte)'\r' or (byte)'\n' or (byte)'\t'))
            {
                throw new LanAnnounceFormatException($"An announce holds the byte 0x{b:x2}, which is not printable ASCII.");
            }
        }

        var text = Encoding.ASCII.GetString(datagram);
        var lines = text.Split('\n');
        var requestLine = TrimLine(lines[0]);
        var parts = requestLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 3 || !string.Equals(parts[0], Method, StringComparison.OrdinalIgnoreCase) || parts[1] != "*"
            || !parts[2].StartsWith("HTTP/1.", StringComparison.OrdinalIgnoreCase))
        {
            throw new LanAnnounceFormatException($"An announce must start with '{Method} * HTTP/1.1'.");
        }

        var headers = new List<KeyValuePair<string, string>>();
        var ended = false;
        for (var index = 1; index < lines.Length; index++)
        {
            var line = TrimLine(lines[index]);
            if (line.Length > MaxLineLength)
            {
                throw new LanAnnounceFormatException($"An announce line is over {MaxLineLength} characters.");
            }

            if (line.Length == 0)
            {
                // The text after the last newline is no line: the blank line must end with its own newline.
                ended = index < lines.Length - 1;
                break;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new LanAnnounceFormatException("An announce header has no name and colon.");
            }

            if (headers.Count == MaxHeaders)
            {
                throw new LanAnnounceFormatException($"An announce has over {MaxHeaders} headers.");
            }

            var name = line[..colon].Trim();
            if (name.Length == 0 || name.Any(c => c is ' ' or '\t'))
            {
                throw new LanAnnounceFormatException("An announce header name is empty or holds a space.");
            }

            headers.Add(new(name.ToLowerInvariant(), line[(colon + 1)..].Trim()));
        }

        if (!ended)
        {
            throw new LanAnnounceFormatException("An announce has no blank line after its headers.");
        }

        var announce = new LanAnnounce(0, [], null, headers);
        var portText = announce.Header("port") ?? throw new LanAnnounceFormatException("An announce names no Port.");
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new LanAnnounceFormatException($"An announce's Port must be from 1 to 65535, not '{Shorten(portText)}'.");
        }

        var hashes = new List<string>();
        foreach (var (name, value) in headers)
        {
            if (!string.Equals(name, HashHeader, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (value.Length != HashHexLength || !IsHex(value))
            {
                throw new LanAnnounceFormatException($"An announce's {HashHeader} must be {HashHexLength} hex digits, not '{Shorten(value)}'.");
            }

            var hash = value.ToLowerInvariant();
            if (!hashes.Contains(hash, StringComparer.Ordinal))
            {
                hashes.Add(hash);
            }
        }

        if (hashes.Count == 0)
        {
            throw new LanAnnounceFormatException($"An announce names no {HashHeader}.");
        }

        var cookie = announce.Header("cookie");
        if (cookie is { Length: > MaxCookieLength })
        {
            throw new LanAnnounceFormatException($"An announce's cookie is over {MaxCookieLength} characters.");
        }

        return announce with { Port = port, Hashes = hashes, Cookie = cookie };
    }

    private static string TrimLine(string line) => line.EndsWith('\r') ? line[..^1] : line;

    private static bool IsHex(string text) => text.All(char.IsAsciiHexDigit);

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "...";
}
