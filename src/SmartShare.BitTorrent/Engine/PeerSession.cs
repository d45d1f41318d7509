using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using SmartShare.BitTorrent.PeerWire;

namespace SmartShare.BitTorrent.Engine;

/// <summary>
/// The state of one connected peer in one torrent: choke and interest flags both ways, what it has, what we asked of
/// it, what it asked of us, and its rates. Fields are read and written under the owning session's lock except where
/// noted.
/// </summary>
internal sealed class PeerSession(PeerConnection connection, int pieceCount, TimeProvider time, CancellationToken sessionToken)
{
    private readonly CancellationTokenSource _cancel = CancellationTokenSource.CreateLinkedTokenSource(sessionToken);

    public PeerConnection Connection { get; } = connection;

    public IPEndPoint EndPoint => Connection.RemoteEndPoint;

    /// <summary>The host the peer connects from, as per-host limits count it.</summary>
    public SmartShare.Networking.NetworkHost Host { get; } = SmartShare.Networking.NetworkHost.Of(connection.RemoteEndPoint.Address);

    public PeerId Id => Connection.Remote.PeerId;

    public CancellationToken Token => _cancel.Token;

    /// <summary>The session's clock; every timestamp below is one of its <see cref="TimeProvider.GetTimestamp"/>.</summary>
    public TimeProvider Time { get; } = time;

    public Bitfield Has { get; set; } = new(pieceCount);

    public bool AnnouncedPieces { get; set; }

    public bool AmChoking { get; set; } = true;

    public bool AmInterested { get; set; }

    public bool PeerChoking { get; set; } = true;

    public bool PeerInterested { get; set; }

    public bool SupportsFast => (Connection.Remote.Capabilities & PeerCapabilities.Fast) != 0;

    public bool SupportsExtensions => (Connection.Remote.Capabilities & PeerCapabilities.ExtensionProtocol) != 0;

    public ExtensionHandshake? Extensions { get; set; }

    /// <summary>How many requests the peer says it queues (<c>reqq</c>); 250 is the common default.</summary>
    public int RemoteRequestQueue { get; set; } = 250;

    /// <summary>Blocks asked of this peer and not yet received, by <see cref="BlockRequest.Key"/>.</summary>
    public HashSet<long> Outstanding { get; } = [];

    public RateMeter Download { get; } = new(time: time);

    public RateMeter Upload { get; } = new(time: time);

    /// <summary>When the last block arrived (or requests were last sent to an idle peer), as a timestamp of <see cref="Time"/>.</summary>
    public long LastBlock { get; set; } = time.GetTimestamp();

    /// <summary>When we last sent anything, for keep-alives. Written without the lock (a timestamp).</summary>
    public long LastSend { get; set; } = time.GetTimestamp();

    public bool Snubbed { get; set; }

    public int HashFailures { get; set; }

    /// <summary>Requests the peer queued with us, served in order by the upload task.</summary>
    public Channel<BlockRequest> Uploads { get; } = Channel.CreateUnbounded<BlockRequest>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    /// <summary>Queued upload requests (for the flood limit); changed with Interlocked.</summary>
    public int QueuedUploads;

    /// <summary>Requests the peer cancelled before we served them, by key.</summary>
    public HashSet<long> Cancelled { get; } = [];

    /// <summary>The listen addresses this peer was last told of by PEX, so the next message carries only changes.</summary>
    public HashSet<IPEndPoint> PexAdvertised { get; } = [];

    /// <summary>PEX messages the peer may still send before being rate limited (a token bucket refilled over time).</summary>
    public double PexTokens { get; set; } = 3;

    public long PexTokensAt { get; set; } = time.GetTimestamp();

    /// <summary>ut_metadata requests the peer made on this connection.</summary>
    public int MetadataRequests { get; set; }

    /// <summary>Whether the peer already sent a port message (only the first one counts).</summary>
    public bool DhtPortSeen { get; set; }

    /// <summary>
    /// The address the peer accepts connections on: where we dialed it, or for a peer that dialed us its address
    /// with the port of its extension handshake's <c>p</c>; null when unknown.
    /// </summary>
    public IPEndPoint? ListenEndPoint => !Connection.IsIncoming
        ? EndPoint
        : Extensions?.ListenPort is { } port
            ? new IPEndPoint(EndPoint.Address.IsIPv4MappedToIPv6 ? EndPoint.Address.MapToIPv4() : EndPoint.Address, port)
            : null;

    public void Close()
    {
        try
        {
            _cancel.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void DisposeToken() => _cancel.Dispose();

    /// <summary>
    /// Sends outside any read loop (haves, cancels, the tick's messages) and stamps <see cref="LastSend"/>; a send
    /// that fails closes the peer, whose read loop then ends and cleans up.
    /// </summary>
    public async Task SendQuietlyAsync(Func<PeerConnection, ValueTask> send)
    {
        try
        {
            await send(Connection).ConfigureAwait(false);
            LastSend = Time.GetTimestamp();
        }
        catch (Exception e) when (e is PeerConnectionException or OperationCanceledException or IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            Close();
        }
    }

    public override string ToString() => $"{EndPoint} ({Id})";
}
