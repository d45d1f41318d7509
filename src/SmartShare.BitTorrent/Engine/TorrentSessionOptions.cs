using System.Net;
using SmartShare.BitTorrent.PeerWire;
using SmartShare.BitTorrent.PeerWire.Transport;
using SmartShare.Networking;

namespace SmartShare.BitTorrent.Engine;

/// <summary>Tunables of one torrent's transfers; the defaults suit the open Internet and loopback alike.</summary>
public sealed class TorrentSessionOptions
{
    /// <summary>Connections per torrent, incoming and outgoing together.</summary>
    public int MaxPeers { get; set; } = 50;

    /// <summary>
    /// Connections one host (an IPv4 address or an IPv6 /64) may hold in this torrent, so one machine posing as many
    /// peers cannot take every slot.
    /// </summary>
    public int MaxPeersPerHost { get; set; } = 8;

    /// <summary>Outgoing connection attempts in flight at once.</summary>
    public int MaxConnectingPeers { get; set; } = 8;

    /// <summary>Requests kept outstanding to a fast peer (capped by its own <c>reqq</c>).</summary>
    public int MaxOutstandingRequests { get; set; } = 500;

    /// <summary>Requests outstanding to a peer before its rate is known.</summary>
    public int InitialOutstandingRequests { get; set; } = 64;

    /// <summary>How many seconds of a peer's rate to keep requested ahead (the bandwidth-delay product).</summary>
    public double RequestAheadSeconds { get; set; } = 1.0;

    /// <summary>
    /// Bytes of complete pieces held in memory while they wait to be checked and written (at least two pieces): past
    /// this, no new blocks are requested until the disk catches up. Without a bound a disk slower than the peers let
    /// the queue grow with every piece (a 512 MiB download held 100 MiB of them with the page cache filling slowly).
    /// </summary>
    public long MaxUnwrittenBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>A peer with requests outstanding that sends no block for this long is snubbed and its requests go elsewhere.</summary>
    public TimeSpan SnubTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan ChokeInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The session's once-a-second tick starts a random part of this later (none by default): thousands of sessions
    /// started together (a node's start) then do not all tick in the same instant, every second. The node uses 1 s.
    /// </summary>
    public TimeSpan TickStagger { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// How often a seeding torrent with no peer connected ticks: it has nothing to decide then (a peer that comes is
    /// answered by its read loop and unchoked at once), and a node seeding thousands of torrents spent most of its idle
    /// CPU waking each of them every second. A peer that joins sets the tick back to once a second from then; what is
    /// left for the idle tick is dialing candidates again after their back-off and retrying a failed resume record.
    /// </summary>
    public TimeSpan IdleSeedTickInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The clock the tick's timer runs on, or null for the session's own. The node gives every session one
    /// <see cref="SmartShare.Threading.BeatTimeProvider"/> over its clock, so the timers of thousands of sessions are fired
    /// together ten times a second rather than each waking a thread of its own.
    /// </summary>
    public TimeProvider? TickTime { get; set; }

    public TimeSpan OptimisticUnchokeInterval { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How often a failed record of the verified pieces is tried again. Pieces are recorded as they verify, not on
    /// this interval, so a killed process loses none of them.
    /// </summary>
    public TimeSpan ResumeSaveInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Requests a peer may queue with us; more is a flood and disconnects it.</summary>
    public int MaxPeerRequestQueue { get; set; } = 2000;

    /// <summary>The queue length we advertise (<c>reqq</c>).</summary>
    public int AdvertisedRequestQueue { get; set; } = 500;

    /// <summary>Pieces failing their hash with a peer's data before the peer is banned.</summary>
    public int HashFailuresBeforeBan { get; set; } = 3;

    /// <summary>Wait after a failed dial before dialing that address again (doubles per failure, up to 30 min).</summary>
    public TimeSpan RedialDelay { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The port we accept peers on, sent in the extension handshake and to trackers.</summary>
    public int ListenPort { get; set; }

    /// <summary>Take pieces in order (streaming a whole torrent).</summary>
    public bool Sequential { get; set; }

    /// <summary>The files wanted and their priorities at start (all normal when null or not matching the torrent).</summary>
    public FileSelection? Files { get; set; }

    /// <summary>Paces the piece payload we send (the torrent's limiter, chained under the node's), or null.</summary>
    public ByteRateLimiter? UploadLimiter { get; set; }

    /// <summary>
    /// Paces the piece payload we read (the torrent's limiter, chained under the node's), or null: after each piece
    /// message a connection waits for its bytes before reading on, so TCP slows the sender down. Other messages are
    /// not counted.
    /// </summary>
    public ByteRateLimiter? DownloadLimiter { get; set; }

    public PeerConnectionOptions Connection { get; set; } = new();

    /// <summary>How peers are dialed (<see cref="BitTorrentClientOptions.Transport"/> for a client's torrents); null = TCP.</summary>
    public IPeerTransport? Transport { get; set; }

    /// <summary>How often each ut_pex peer is told which peers we connected to and dropped since (BEP 11). Default 60 s.</summary>
    public TimeSpan PexInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A peer's PEX messages count at most once per this interval (after a burst of three); more often they are
    /// ignored. Default 45 s.
    /// </summary>
    public TimeSpan PexMinReceiveInterval { get; set; } = TimeSpan.FromSeconds(45);

    /// <summary>How many peers PEX may teach this torrent in all; later ones are ignored. Default 500.</summary>
    public int MaxPexPeers { get; set; } = 500;

    /// <summary>
    /// Our DHT's UDP port (BEP 5), or null without a DHT. When set (and the torrent is not private) the handshake
    /// advertises the DHT and peers that do too are sent a port message.
    /// </summary>
    public int? DhtPort { get; set; }

    /// <summary>
    /// Called with a peer's address and the DHT port its port message named, so the node can ping it into its
    /// routing table; once per connection, never for private torrents. Runs on the peer's read loop: keep it short.
    /// </summary>
    public Action<IPEndPoint>? OnDhtNode { get; set; }

    /// <summary>
    /// Called with the <c>yourip</c> a peer's extension handshake (BEP 10) names, the address it sees us at, and the
    /// peer's own address; once per handshake. Runs on the peer's read loop: keep it short.
    /// </summary>
    public Action<IPAddress, IPAddress>? OnExternalAddress { get; set; }

    /// <summary>Called with the addresses a PEX message taught this torrent (already added to its peer list).</summary>
    public Action<IReadOnlyList<IPEndPoint>>? OnPexPeers { get; set; }

    /// <summary>Where the session tells what happens (connections, failures); null = silent.</summary>
    public Action<string>? Log { get; set; }
}
