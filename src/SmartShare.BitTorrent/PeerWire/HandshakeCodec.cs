using System.Buffers;

namespace SmartShare.BitTorrent.PeerWire;

/// <summary>
/// The 68-byte BitTorrent handshake (BEP 3): 0x13, "BitTorrent protocol", 8 reserved bytes, the info hash, the peer id.
/// </summary>
public static class HandshakeCodec
{
    /// <summary>The length of a handshake in bytes.</summary>
    public const int Length = 68;

    private const int ReservedOffset = 20;
    private const int InfoHashOffset = 28;
    private const int PeerIdOffset = 48;

    /// <summary>The 20 bytes every handshake starts with: the length 19 and the protocol name.</summary>
    internal static ReadOnlySpan<byte> Protocol => "\u0013BitTorrent protocol"u8;

    /// <summary>Writes the 68 bytes of <paramref name="handshake"/> into <paramref name="destination"/>.</summary>
    public static void Write(Span<byte> destination, in Handshake handshake)
    {
        if (destination.Length < Length)
        {
            throw new ArgumentException($"A handshake needs {Length} bytes of room, not {destination.Length}.", nameof(destination));
        }

        Protocol.CopyTo(destination);
        var reserved = destination.Slice(ReservedOffset, 8);
        reserved.Clear();
        if ((handshake.Capabilities & PeerCapabilities.ExtensionProtocol) != 0)
        {
            reserved[5] |= 0x10;
        }

        if ((handshake.Capabilities & PeerCapabilities.Fast) != 0)
        {
            reserved[7] |= 0x04;
        }

        if ((handshake.Capabilities & PeerCapabilities.Dht) != 0)
        {
            reserved[7] |= 0x01;
        }

        handshake.InfoHash.WriteTo(destination[InfoHashOffset..]);
        handshake.PeerId.WriteTo(destination[PeerIdOffset..]);
    }

    /// <summary>
    /// Reads a handshake from the first 68 bytes of <paramref name="buffer"/>; false if fewer are there yet.
    /// Reserved bits this client does not know are ignored.
    /// </summary>
    /// <exception cref="PeerWireFormatException">The bytes there do not start with 0x13 "BitTorrent protocol".</exception>
    public static bool TryRead(ReadOnlySequence<byte> buffer, out Handshake handshake)
    {
        handshake = default;
        Span<byte> bytes = stackalloc byte[Length];
        var available = (int)Math.Min(buffer.Length, Length);
        buffer.Slice(0, available).CopyTo(bytes);

        // Check the protocol prefix as far as it has arrived, so that a peer speaking something else is refused early.
        var prefix = Math.Min(available, Protocol.Length);
        if (!bytes[..prefix].SequenceEqual(Protocol[..prefix]))
        {
            throw new PeerWireFormatException("The peer's handshake does not start with 0x13 \"BitTorrent protocol\".");
        }

        if (available < Length)
        {
            return false;
        }

        var reserved = bytes.Slice(ReservedOffset, 8);
        var capabilities = PeerCapabilities.None;
        if ((reserved[5] & 0x10) != 0)
        {
            capabilities |= PeerCapabilities.ExtensionProtocol;
        }

        if ((reserved[7] & 0x04) != 0)
        {
            capabilities |= PeerCapabilities.Fast;
        }

        if ((reserved[7] & 0x01) != 0)
        {
            capabilities |= PeerCapabilities.Dht;
        }

        handshake = new Handshake(
            InfoHash.FromBytes(bytes.Slice(InfoHashOffset, InfoHash.Length)),
            PeerId.FromBytes(bytes.Slice(PeerIdOffset, PeerId.Length)),
            capabilities);
        return true;
    }
}
