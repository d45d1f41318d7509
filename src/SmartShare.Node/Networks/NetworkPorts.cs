using System.Net;
using System.Net.Sockets;
using SmartShare.Node.Settings;

namespace SmartShare.Node.Networks;

/// <summary>
/// The port rules the networks and the API share: a port left at its default (LBRY 4444, BitTorrent 6881, API 5279)
/// gives way to the next free number when another program (often a second node) holds it; a port the user chose
/// (flag, environment or settings.json) is used as given or the start fails.
/// </summary>
internal static class NetworkPorts
{
    /// <summary>How many numbers from the default up a start tries before it gives up.</summary>
    public const int FallbackAttempts = 20;

    /// <summary>True when <paramref name="key"/> holds its default value, which no layer set.</summary>
    public static bool IsDefault(NodeSettingsStore settings, string key) => settings.SourceOf(key) == "default";

    /// <summary>A TCP port free on <paramref name="address"/> a moment ago, chosen by the system.</summary>
    public static int FreeTcpPort(IPAddress address)
    {
        using var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(address, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    /// <summary>Whether a TCP listener could bind <paramref name="port"/> on <paramref name="address"/> a moment ago.</summary>
    public static bool IsTcpPortFree(IPAddress address, int port)
    {
        try
        {
            using var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            probe.Bind(new IPEndPoint(address, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
