using System.Net;
using System.Net.Sockets;

namespace SmartShare.Cli.Commands;

/// <summary>Parses HOST:PORT arguments (an IPv4 address or a host name resolved to IPv4).</summary>
internal static class HostPort
{
    public static IPEndPoint Parse(string text, string option)
    {
        ArgumentNullException.ThrowIfNull(text);
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new FormatException($"{option} takes HOST:PORT with a port from 1 to 65535, not '{text}'.");
        }

        var host = text[..colon];
        if (IPAddress.TryParse(host, out var address))
        {
            return new IPEndPoint(address, port);
        }

        try
        {
            var resolved = Dns.GetHostAddresses(host).FirstOrDefault(candidate => candidate.AddressFamily == AddressFamily.InterNetwork)
                ?? throw new FormatException($"{option}: the host '{host}' has no IPv4 address.");
            return new IPEndPoint(resolved, port);
        }
        catch (SocketException ex)
        {
            throw new FormatException($"{option}: cannot resolve the host '{host}' ({ex.Message}).", ex);
        }
    }
}
