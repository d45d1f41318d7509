using System.Net;
using System.Net.Sockets;

namespace SmartShare.BitTorrent.Dht;

/// <summary>
/// Which addresses the Mainline DHT talks to, stores and hands out. Never: port 0, unspecified, multicast or
/// broadcast addresses. Loopback, private (RFC 1918, CGNAT, link-local, IPv6 unique-local) only with
/// <see cref="AllowLan"/>, for LAN use and tests; on the public DHT such contacts are unreachable or spoofed.
/// </summary>
public sealed class DhtAddressPolicy(bool allowLan)
{
    public bool AllowLan { get; } = allowLan;

    public bool IsAllowed(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        return endPoint.Port is > 0 and <= ushort.MaxValue && IsAllowed(endPoint.Address);
    }

    public bool IsAllowed(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        address = KrpcCodec.Normalize(address);
        if (IsNeverUsable(address))
        {
            return false;
        }

        return AllowLan || !IsLocal(address);
    }

    private static bool IsNeverUsable(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            Span<byte> b = stackalloc byte[4];
            address.TryWriteBytes(b, out _);
            return b[0] == 0 || b[0] >= 224; // 0.0.0.0/8, multicast 224/4, reserved 240/4 and broadcast
        }

        return address.Equals(IPAddress.IPv6None) || address.Equals(IPAddress.IPv6Any) || address.IsIPv6Multicast;
    }

    /// <summary>Loopback, private (RFC 1918, carrier-grade NAT), link-local or unique-local: an address on this machine or its LAN.</summary>
    internal static bool IsLocal(IPAddress address)
    {
        if (IPAddress.IsLoopback(address))
        {
            return true;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            Span<byte> b = stackalloc byte[4];
            address.TryWriteBytes(b, out _);
            return b[0] == 10
                || (b[0] == 172 && (b[1] & 0xF0) == 16)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 169 && b[1] == 254)
                || (b[0] == 100 && (b[1] & 0xC0) == 64);
        }

        return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6UniqueLocal;
    }
}
