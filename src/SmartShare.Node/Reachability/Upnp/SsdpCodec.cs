using System.Globalization;
using System.Net;
using System.Text;

namespace SmartShare.Node.Reachability.Upnp;

/// <summary>One answer to an M-SEARCH: where the device description is and what the device said it is.</summary>
/// <param name="Location">The description URL (an absolute http URL).</param>
/// <param name="SearchTarget">The ST header, when present.</param>
/// <param name="Server">The SERVER header, when present (for the log).</param>
public sealed record SsdpResponse(Uri Location, string? SearchTarget, string? Server);

/// <summary>
/// Writes SSDP M-SEARCH requests and reads their unicast answers (UPnP Device Architecture 1.1, section 1.3).
/// Answers come from anyone on the LAN, so reading is bounded: a datagram over <see cref="MaxResponseBytes"/>, more
/// than <see cref="MaxHeaderLines"/> lines, a status other than 200 or a LOCATION that is not a short absolute http
/// URL is refused with <see cref="UpnpFormatException"/>.
/// </summary>
public static class SsdpCodec
{
    /// <summary>The SSDP multicast group and port.</summary>
    public static readonly IPEndPoint MulticastEndpoint = new(IPAddress.Parse("239.255.255.250"), 1900);

    /// <summary>The search targets asked for, the gateway devices first, then the WAN connection services.</summary>
    public static IReadOnlyList<string> SearchTargets { get; } =
    [
        "urn:schemas-upnp-org:device:InternetGatewayDevice:2",
        "urn:schemas-upnp-org:device:InternetGatewayDevice:1",
        "urn:schemas-upnp-org:service:WANIPConnection:2",
        "urn:schemas-upnp-org:service:WANIPConnection:1",
        "urn:schemas-upnp-org:service:WANPPPConnection:1",
    ];

    /// <summary>The longest answer read; a real one is a few hundred bytes.</summary>
    public const int MaxResponseBytes = 4096;

    /// <summary>The most lines an answer may have, status line included.</summary>
    public const int MaxHeaderLines = 40;

    /// <summary>The longest LOCATION accepted.</summary>
    public const int MaxLocationLength = 512;

    /// <summary>The M-SEARCH datagram for <paramref name="searchTarget"/>, asking devices to answer within <paramref name="mxSeconds"/>.</summary>
    public static byte[] BuildSearch(string searchTarget, int mxSeconds, IPEndPoint destination)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(searchTarget);
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentOutOfRangeException.ThrowIfLessThan(mxSeconds, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(mxSeconds, 5);
        var text = string.Create(CultureInfo.InvariantCulture, $"M-SEARCH * HTTP/1.1\r\nHOST: {destination}\r\nMAN: \"ssdp:discover\"\r\nMX: {mxSeconds}\r\nST: {searchTarget}\r\nUSER-AGENT: SmartShare UPnP/1.1\r\n\r\n");
        return Encoding.ASCII.GetBytes(text);
    }

    /// <summary>Reads one answer to an M-SEARCH.</summary>
    /// <exception cref="UpnpFormatException">The datagram is not a usable answer.</exception>
    public static SsdpResponse Parse(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length > MaxResponseBytes)
        {
            throw new UpnpFormatException($"The SSDP answer is {datagram.Length} bytes, over the {MaxResponseBytes}-byte limit.");
        }

        foreach (var b in datagram)
        {
            if (b < 0x20 && b is not (byte)'\t' and not (byte)'\r' and not (byte)'\n' || b == 0x7F)
            {
                throw new UpnpFormatException("The SSDP answer holds a control byte that no HTTP header may hold.");
            }
        }

        var text = Encoding.Latin1.GetString(datagram);
        var lines = text.Split('\n', MaxHeaderLines + 1);
        if (lines.Length > MaxHeaderLines)
        {
            throw new UpnpFormatException($"The SSDP answer has more than {MaxHeaderLines} lines.");
        }

        var status = lines[0].TrimEnd('\r');
        if (!IsOkStatus(status))
        {
            throw new UpnpFormatException("The SSDP answer does not start with an HTTP 200 status line.");
        }

        string? location = null, searchTarget = null, server = null;
        // The end of the datagram ends the headers too: some devices leave out the empty line.
        for (var i = 1; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.Length == 0)
            {
                break;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new UpnpFormatException("An SSDP header line has no name before its colon.");
            }

            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (name.Equals("LOCATION", StringComparison.OrdinalIgnoreCase))
            {
                location = location is null ? value : throw new UpnpFormatException("The SSDP answer names two locations.");
            }
            else if (name.Equals("ST", StringComparison.OrdinalIgnoreCase))
            {
                searchTarget = value;
            }
            else if (name.Equals("SERVER", StringComparison.OrdinalIgnoreCase))
            {
                server = value;
            }
        }

        if (location is null)
        {
            throw new UpnpFormatException("The SSDP answer has no LOCATION header.");
        }

        return new SsdpResponse(ParseLocation(location), searchTarget, server);
    }

    /// <summary>
    /// True when <paramref name="location"/> names the host that sent the answer by its address: a device on the
    /// LAN may only point us at itself, so a LAN attacker cannot make the node fetch some other URL.
    /// </summary>
    public static bool IsAcceptableLocation(Uri location, IPAddress responder)
    {
        ArgumentNullException.ThrowIfNull(location);
        ArgumentNullException.ThrowIfNull(responder);
        if (responder.IsIPv4MappedToIPv6)
        {
            responder = responder.MapToIPv4();
        }

        return location.Scheme == Uri.UriSchemeHttp
            && location.HostNameType == UriHostNameType.IPv4
            && IPAddress.TryParse(location.Host, out var host)
            && host.Equals(responder);
    }

    private static bool IsOkStatus(string status)
    {
        var parts = status.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        return parts.Length >= 2
            && (parts[0] == "HTTP/1.1" || parts[0] == "HTTP/1.0")
            && parts[1] == "200";
    }

    private static Uri ParseLocation(string location)
    {
        if (location.Length > MaxLocationLength)
        {
            throw new UpnpFormatException($"The SSDP LOCATION is {location.Length} characters, over the {MaxLocationLength}-character limit.");
        }

        if (!Uri.TryCreate(location, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp || uri.UserInfo.Length > 0)
        {
            throw new UpnpFormatException("The SSDP LOCATION is not an absolute http URL.");
        }

        return uri;
    }
}
