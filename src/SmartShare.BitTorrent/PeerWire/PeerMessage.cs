using System.Buffers;

namespace SmartShare.BitTorrent.PeerWire;

/// <summary>
/// One parsed peer wire message. Which properties mean something depends on <see cref="Type"/>; the others are zero.
/// <see cref="Payload"/> slices the reader's buffer and is valid only until the next read.
/// </summary>
public readonly struct PeerMessage
{
    /// <summary>A message from its parts; the codec builds these, and tests of code that consumes messages may too.</summary>
    public PeerMessage(
        PeerMessageType type,
        int index = 0,
        int begin = 0,
        int length = 0,
        ushort port = 0,
        byte extendedId = 0,
        ReadOnlySequence<byte> payload = default)
    {
        Type = type;
        Index = index;
        Begin = begin;
        Length = length;
        Port = port;
        ExtendedId = extendedId;
        Payload = payload;
    }

    public PeerMessageType Type { get; }

    /// <summary>The piece index of have, request, piece, cancel, suggest, reject and allowed fast.</summary>
    public int Index { get; }

    /// <summary>The byte offset within the piece of request, piece, cancel and reject.</summary>
    public int Begin { get; }

    /// <summary>The requested length of request, cancel and reject; the block length of piece.</summary>
    public int Length { get; }

    /// <summary>The DHT port of a port message.</summary>
    public ushort Port { get; }

    /// <summary>The extended message id of an extended message (0 = the BEP 10 handshake); the raw id of an unknown message.</summary>
    public byte ExtendedId { get; }

    /// <summary>
    /// The bitfield bytes, the piece block, the extended payload after its id byte, or the body of an unknown message;
    /// empty otherwise. Slices the reader's buffer: valid only until the next read.
    /// </summary>
    public ReadOnlySequence<byte> Payload { get; }

    public override string ToString() => Type switch
    {
        PeerMessageType.Have or PeerMessageType.Suggest or PeerMessageType.AllowedFast => $"{Type} {Index}",
        PeerMessageType.Request or PeerMessageType.Cancel or PeerMessageType.Reject or PeerMessageType.Piece => $"{Type} {Index}:{Begin}+{Length}",
        PeerMessageType.Port => $"{Type} {Port}",
        PeerMessageType.Bitfield => $"{Type} ({Payload.Length} bytes)",
        PeerMessageType.Extended or PeerMessageType.Unknown => $"{Type} {ExtendedId} ({Payload.Length} bytes)",
        _ => Type.ToString(),
    };
}
