using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace SmartShare.Node.Shares;

/// <summary>
/// A host and port a receiver connects to. <see cref="Host"/> is an IPv4 or IPv6 literal (IPv6 stored without
/// brackets) or a DNS name.
/// </summary>
public sealed record SmartShareEndpoint(string Host, int Port)
{
    // "[" + 253-character host + "]:" + 5 digits; anything longer cannot be an endpoint.
    private const int MaxTextLength = 253 + 8;

    public override string ToString() =>
        Host.Contains(':', StringComparison.Ordinal)
            ? string.Create(CultureInfo.InvariantCulture, $"[{Host}]:{Port}")
            : string.Create(CultureInfo.InvariantCulture, $"{Host}:{Port}");

    /// <summary>Parses "host:port" or "[ipv6]:port".</summary>
    /// <exception cref="SmartShareFormatException">The text is not a reachable endpoint.</exception>
    public static SmartShareEndpoint Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Parse(text, "endpoint");
    }

    /// <summary>Parses an endpoint, naming <paramref name="field"/> in the sentence if it is wrong.</summary>
    internal static SmartShareEndpoint Parse(string text, string field)
    {
        if (text.Length == 0)
        {
            throw new SmartShareFormatException($"The {field} is empty; write it as host:port, such as 192.168.1.20:4444 or [2001:db8::5]:4444.");
        }

        if (text.Length > MaxTextLength)
        {
            throw new SmartShareFormatException($"The {field} '{Shorten(text)}' is {text.Length} characters long; an endpoint is at most {MaxTextLength}.");
        }

        string host;
        string portText;
        if (text[0] == '[')
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= text.Length || text[close + 1] != ':')
            {
                throw new SmartShareFormatException($"The {field} '{Shorten(text)}' is not [address]:port; an IPv6 address in brackets must be followed by a colon and a port.");
            }

            host = text[1..close];
            portText = text[(close + 2)..];
            if (!host.Contains(':', StringComparison.Ordinal))
            {
                throw new SmartShareFormatException($"The {field} '{Shorten(text)}' puts '{host}' in brackets; brackets hold only an IPv6 address.");
            }
        }
        else
        {
            var colon = text.LastIndexOf(':');
            if (colon < 0)
            {
                throw new SmartShareFormatException($"The {field} '{Shorten(text)}' has no port; write it as host:port, such as 192.168.1.20:4444.");
            }

            host = text[..colon];
            portText = text[(colon + 1)..];
            if (host.Contains(':', StringComparison.Ordinal))
            {
                throw new SmartShareFormatException($"The {field} '{Shorten(text)}' is an IPv6 address without brackets; write it as [address]:port, such as [2001:db8::5]:4444.");
            }
        }

        if (portText.Length is 0 or > 5 || !portText.All(char.IsAsciiDigit))
        {
            throw new SmartShareFormatException($"The {field} '{Shorten(text)}' has the port '{Shorten(portText)}'; a port is a number from 1 to 65535.");
        }

        var endpoint = new SmartShareEndpoint(host, int.Parse(portText, NumberStyles.None, CultureInfo.InvariantCulture));
        endpoint.Validate(field);
        return endpoint;
    }

    /// <summary>Checks an endpoint built in code as strictly as a parsed one, so nothing unreadable is ever written.</summary>
    internal void Validate(string field)
    {
        if (Port is < 1 or > 65535)
        {
            throw new SmartShareFormatException($"The {field} '{Shorten(ToString())}' has the port {Port}; a port is a number from 1 to 65535.");
        }

        if (Host is null || HostProblem(Host) is not { } problem)
        {
            return;
        }

        throw new SmartShareFormatException($"The {field} '{Shorten(ToString())}' {problem}.");
    }

    /// <summary>Why <paramref name="host"/> is not a host a peer can be reached at, or null if it is one.</summary>
    private static string? HostProblem(string host)
    {
        if (host.Length == 0)
        {
            return "has no host";
        }

        if (host.Contains(':', StringComparison.Ordinal))
        {
            // Scope ids name an interface on the creator's machine, which means nothing on the receiver's.
            if (host.AsSpan().IndexOfAny("[]%/") >= 0
                || !IPAddress.TryParse(host, out var v6)
                || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                return "does not hold a valid IPv6 address";
            }

            return AddressProblem(v6);
        }

        var lastDot = host.LastIndexOf('.');
        var lastLabel = host.AsSpan(lastDot + 1);
        if (lastLabel.Length > 0 && !lastLabel.ContainsAnyExceptInRange('0', '9'))
        {
            // Resolvers read an all-digit name as an IPv4 address (even "127.1"), so only the dotted quad is allowed.
            return TryParseDottedQuad(host, out var v4) ? AddressProblem(v4) : "is not a valid IPv4 address (four numbers from 0 to 255 separated by dots)";
        }

        return IsDnsName(host) ? null : "has a host that is neither an IP address nor a DNS name (letters, digits, hyphens and dots; labels of 1 to 63 characters; at most 253 in all)";
    }

    private static string? AddressProblem(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        var bytes = address.GetAddressBytes();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return bytes[0] switch
            {
                0 => "is an unspecified address (0.0.0.0/8), which no peer can be reached at",
                >= 224 and <= 239 => "is a multicast address (224.0.0.0/4), which no peer can be reached at",
                255 when bytes.All(b => b == 255) => "is the broadcast address 255.255.255.255, which no peer can be reached at",
                _ => null,
            };
        }

        if (address.Equals(IPAddress.IPv6Any))
        {
            return "is the unspecified address ::, which no peer can be reached at";
        }

        return bytes[0] == 0xff ? "is a multicast address (ff00::/8), which no peer can be reached at" : null;
    }

    private static bool TryParseDottedQuad(string host, out IPAddress address)
    {
        address = IPAddress.None;
        var parts = host.Split('.');
        if (parts.Length != 4)
        {
            return false;
        }

        var bytes = new byte[4];
        for (var i = 0; i < 4; i++)
        {
            var part = parts[i];
            if (part.Length is 0 or > 3 || (part.Length > 1 && part[0] == '0') || !part.All(char.IsAsciiDigit))
            {
                return false;
            }

            var value = int.Parse(part, NumberStyles.None, CultureInfo.InvariantCulture);
            if (value > 255)
            {
                return false;
            }

            bytes[i] = (byte)value;
        }

        address = new IPAddress(bytes);
        return true;
    }

    private static bool IsDnsName(string host)
    {
        if (host.Length > 253)
        {
            return false;
        }

        foreach (var label in host.Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-'
                || !label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                return false;
            }
        }

        return true;
    }

    internal static string Shorten(string text) => text.Length <= 120 ? text : string.Concat(text.AsSpan(0, 117), "...");
}
