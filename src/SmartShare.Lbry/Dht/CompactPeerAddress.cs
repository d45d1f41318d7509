using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace SmartShare.Lbry.Dht;

/// <summary>
/// A peer as findValue answers carry it (spec 1.3): 4-byte IPv4, 2-byte big-endian TCP port, 48-byte node id.
/// The port is the blob-exchange (TCP) port the peer announced, not its DHT port.
/// </summary>
public readonly record struct CompactPeerAddress(IPAddress Address, int TcpPort, ReadOnlyMemory<byte> NodeId)
{
    public const int NodeIdLength = 48;
    public const int Length = 4 + 2 + NodeIdLength;

    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < Length)
        {
            throw new ArgumentException($"A compact peer address takes {Length} bytes.", nameof(destination));
        }

        var address = Address.IsIPv4MappedToIPv6 ? Address.MapToIPv4() : Address;
        if (address.AddressFamily != AddressFamily.InterNetwork || !address.TryWriteBytes(destination[..4], out _))
        {
            throw new ArgumentException($"A compact peer address holds IPv4 only, not {Address}.", nameof(destination));
        }

        if (TcpPort is < 0 or > ushort.MaxValue || NodeId.Length != NodeIdLength)
        {
            throw new ArgumentException("The port must fit 16 bits and the node id be 48 bytes.", nameof(destination));
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination[4..6], (ushort)TcpPort);
        NodeId.Span.CopyTo(destination[6..Length]);
    }

    public byte[] ToArray()
    {
        var bytes = new byte[Length];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>Reads exactly <see cref="Length"/> bytes; anything else is not a compact peer address.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out CompactPeerAddress peer)
    {
        peer = default;
        if (source.Length != Length)
        {
            return false;
        }

        peer = new CompactPeerAddress(
            new IPAddress(source[..4]),
            BinaryPrimitives.ReadUInt16BigEndian(source[4..6]),
            source[6..Length].ToArray());
        return true;
    }
}
