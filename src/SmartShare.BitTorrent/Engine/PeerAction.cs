using SmartShare.BitTorrent.PeerWire;

namespace SmartShare.BitTorrent.Engine;

/// <summary>
/// The sends one handled message calls for, decided under the session lock and carried out after it is released:
/// at most one flag message, a batch of requests, a reject, or dropping the peer.
/// </summary>
internal readonly struct PeerAction
{
    private PeerAction(PeerMessageType? message, List<BlockRequest>? requests, BlockRequest? reject, string? reason, (byte Id, byte[] Payload)? extended = null)
    {
        Message = message;
        Requests = requests;
        Rejected = reject;
        Reason = reason;
        Extended = extended;
    }

    public PeerMessageType? Message { get; }

    public List<BlockRequest>? Requests { get; }

    public BlockRequest? Rejected { get; }

    /// <summary>An extended message to send: the peer's id for the extension and the payload.</summary>
    public (byte Id, byte[] Payload)? Extended { get; }

    /// <summary>Why the peer is dropped (only for a handler that returned false).</summary>
    public string? Reason { get; }

    public bool IsEmpty => Message is null && Requests is null && Rejected is null && Extended is null;

    public static PeerAction Send(PeerMessageType message) => new(message, null, null, null);

    public static PeerAction Request(List<BlockRequest> requests) => new(null, requests, null, null);

    public static PeerAction Reject(BlockRequest request) => new(null, null, request, null);

    public static PeerAction Drop(string reason) => new(null, null, null, reason);

    public static PeerAction SendExtended(byte id, byte[] payload) => new(null, null, null, null, (id, payload));

    /// <summary>This action's message followed by <paramref name="other"/>'s requests.</summary>
    public PeerAction With(PeerAction other) =>
        new(Message ?? other.Message, Requests ?? other.Requests, Rejected ?? other.Rejected, Reason ?? other.Reason, Extended ?? other.Extended);

    public async ValueTask RunAsync(PeerSession peer)
    {
        if (IsEmpty)
        {
            return;
        }

        var connection = peer.Connection;
        if (Message is { } message)
        {
            await connection.SendAsync(message, peer.Token).ConfigureAwait(false);
        }

        if (Requests is { Count: > 0 } requests)
        {
            var batch = new (int Index, int Begin, int Length)[requests.Count];
            for (var i = 0; i < batch.Length; i++)
            {
                batch[i] = (requests[i].Index, requests[i].Begin, requests[i].Length);
            }

            await connection.SendRequestsAsync(batch, peer.Token).ConfigureAwait(false);
        }

        if (Rejected is { } reject)
        {
            await connection.SendBlockRequestAsync(PeerMessageType.Reject, reject.Index, reject.Begin, reject.Length, peer.Token)
                .ConfigureAwait(false);
        }

        if (Extended is { } extended)
        {
            await connection.SendExtendedAsync(extended.Id, extended.Payload, peer.Token).ConfigureAwait(false);
        }

        peer.LastSend = peer.Time.GetTimestamp();
    }

    /// <summary>Runs the action; a send that fails closes the peer (whose read loop then ends) instead of throwing.</summary>
    public async Task RunOrCloseAsync(PeerSession peer)
    {
        try
        {
            await RunAsync(peer).ConfigureAwait(false);
        }
        catch (Exception e) when (e is PeerConnectionException or OperationCanceledException or IOException or System.Net.Sockets.SocketException
            or ObjectDisposedException or InvalidOperationException)
        {
            peer.Close();
        }
    }
}
