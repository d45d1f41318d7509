using SmartShare.BitTorrent.PeerWire;

namespace SmartShare.BitTorrent.Engine;

/// <summary>
/// Serves a torrent's info dictionary over ut_metadata (BEP 9), so peers that came from a magnet link can fetch it.
/// Owns our extension id for the message; counts each peer's requests in <see cref="PeerSession.MetadataRequests"/>
/// under the session's lock.
/// </summary>
internal sealed class MetadataServer(Lock sessionLock, ReadOnlyMemory<byte> rawInfo)
{
    /// <summary>Our id for ut_metadata (BEP 10): peers send us its messages under this id.</summary>
    public const byte LocalId = 3;

    /// <summary>The info dictionary's length, which the extension handshake announces as metadata_size.</summary>
    public int MetadataSize => rawInfo.Length;

    // Each peer gets a few times the metadata's worth of pieces (so a fetch that restarts still completes); beyond
    // that requests are rejected, and a peer that keeps asking is dropped.
    public bool Handle(PeerSession peer, in PeerMessage message, out PeerAction action)
    {
        action = default;
        MetadataMessage request;
        try
        {
            request = MetadataMessage.Decode(message.Payload);
        }
        catch (PeerWireFormatException e)
        {
            action = PeerAction.Drop(e.Message);
            return false;
        }

        if (request.Type != MetadataMessageType.Request)
        {
            return true; // we have the metadata: data and rejects are not for us, unknown types are ignored (BEP 9)
        }

        byte theirId;
        int served;
        lock (sessionLock)
        {
            if (peer.Extensions?.Messages.TryGetValue(MetadataMessage.ExtensionName, out theirId) != true)
            {
                return true; // it never said how to answer
            }

            served = ++peer.MetadataRequests;
        }

        var size = rawInfo.Length;
        var pieces = MetadataMessage.PieceCount(size);
        var budget = (4 * pieces) + 16;
        if (served > 4 * budget)
        {
            action = PeerAction.Drop($"it sent more than {4 * budget} ut_metadata requests");
            return false;
        }

        if (served > budget || request.Piece >= pieces)
        {
            action = PeerAction.SendExtended(theirId, MetadataMessage.EncodeReject(request.Piece));
            return true;
        }

        var offset = request.Piece * MetadataMessage.BlockSize;
        var block = rawInfo.Span.Slice(offset, MetadataMessage.PieceLength(request.Piece, size));
        action = PeerAction.SendExtended(theirId, MetadataMessage.EncodeData(request.Piece, size, block));
        return true;
    }
}
