using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace SmartShare.Networking;

/// <summary>
/// One host as per-host limits count it: an IPv4 address, or the /64 of an IPv6 one (one machine usually holds a
/// whole /64, so counting addresses would let it pose as billions of hosts). An IPv4-mapped IPv6 address counts as
/// its IPv4 address.
/// </summary>
public readonly record struct NetworkHost(ulong High, ulong Low)
{
    public static NetworkHost Of(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var written);
        return address.AddressFamily == AddressFamily.InterNetwork
            ? new NetworkHost(0, BinaryPrimitives.ReadUInt32BigEndian(bytes[..written]))
            : new NetworkHost(BinaryPrimitives.ReadUInt64BigEndian(bytes), ulong.MaxValue);
    }
}
