using System.Buffers.Binary;

namespace SmartShare.BitTorrent;

/// <summary>
/// Twenty bytes held as three fields instead of an array, so the values built on it (<see cref="InfoHash"/>,
/// <see cref="PeerWire.PeerId"/>) are true values: copies are cheap and equality is by content.
/// </summary>
internal readonly record struct Bytes20(ulong First, ulong Second, uint Third)
{
    public const int Length = 20;

    /// <summary>Reads exactly 20 bytes; <paramref name="what"/> names the value in the error ("An info hash").</summary>
    public static Bytes20 Read(ReadOnlySpan<byte> bytes, string what)
    {
        if (bytes.Length != Length)
        {
            throw new ArgumentException($"{what} is {Length} bytes, not {bytes.Length}.", nameof(bytes));
        }

        return new Bytes20(
            BinaryPrimitives.ReadUInt64BigEndian(bytes),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
            BinaryPrimitives.ReadUInt32BigEndian(bytes[16..]));
    }

    /// <summary>Writes the 20 bytes; <paramref name="what"/> names the value in the error ("An info hash").</summary>
    public void WriteTo(Span<byte> destination, string what)
    {
        if (destination.Length < Length)
        {
            throw new ArgumentException($"{what} needs {Length} bytes of room, not {destination.Length}.", nameof(destination));
        }

        BinaryPrimitives.WriteUInt64BigEndian(destination, First);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], Second);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], Third);
    }
}
