using System.Net;
using SmartShare.Kademlia;
using SmartShare.Lbry.Blobs;
using SmartShare.Networking;

namespace SmartShare.Lbry.Dht;

/// <summary>
/// A running LBRY DHT node: the UDP socket, the lbry-sdk endpoint and the Kademlia engine, with the node id
/// kept in the data directory and the routing table's contacts saved in the database, so that a restart
/// rejoins without any bootstrap node.
/// </summary>
public sealed class LbryDhtService : IAsyncDisposable
{
    public const string NodeIdFileName = "dht_node_id";

    private readonly LbryStorage _storage;
    private readonly UdpDatagramSocket _socket;
    private readonly IReadOnlyList<IPEndPoint> _bootstrap;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly bool _persistent;
    private int _disposed;

    private LbryDhtService(LbryStorage storage, UdpDatagramSocket socket, LbryDhtEndpoint endpoint, KademliaNode engine, IReadOnlyList<IPEndPoint> bootstrap, bool persistent)
    {
        _storage = storage;
        _persistent = persistent;
        _socket = socket;
        Endpoint = endpoint;
        Engine = engine;
        _bootstrap = bootstrap;
        _loop = endpoint.RunAsync(_stop.Token);
        engine.Start();
    }

    public LbryDhtEndpoint Endpoint { get; }

    public KademliaNode Engine { get; }

    public IPEndPoint LocalEndPoint => _socket.LocalEndPoint;

    /// <summary>
    /// Binds UDP <paramref name="bindAddress"/>:<paramref name="port"/> (0 picks a free port) and starts answering.
    /// The TCP port announced is the same number, as lbry-sdk expects (spec 1.9).
    /// </summary>
    public static LbryDhtService Start(
        LbryStorage storage,
        IPAddress bindAddress,
        int port,
        IReadOnlyList<IPEndPoint> bootstrap,
        bool allowLan,
        TimeProvider time,
        IRandomSource random,
        bool persistent = true)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(time);
        var limiterOptions = new LbryDhtOptions();
        var limiter = new SourceRateLimiter(time, limiterOptions.DatagramsPerSecondPerSource, limiterOptions.DatagramBurstPerSource, limiterOptions.MaxTrackedSources);
        var socket = UdpDatagramSocket.Bind(new IPEndPoint(bindAddress, port), limiter);
        try
        {
            var options = limiterOptions with { AllowLan = allowLan, TcpPort = socket.LocalEndPoint.Port };
            var endpoint = new LbryDhtEndpoint(socket, options, time, random);
            // A short-lived helper node (a one-off lookup) takes a fresh id, so it never poses as the data
            // directory's long-running node, and it leaves that node's saved contacts alone.
            var id = persistent ? LoadOrCreateNodeId(storage, random) : NodeId.Random(DhtMessage.NodeIdLength, random);
            var engine = new KademliaNode(id, endpoint, time, random, new KademliaNodeOptions
            {
                // lbry-sdk's daemon splits the two nearest buckets eagerly.
                SplitBucketsUnderIndex = 2,

                // A fresh node (fewer than 8 contacts) pings requesters back at once, not after lbry-sdk's 300 s.
                ImmediatePingBackBelow = 8,
            });
            endpoint.Attach(engine);
            return new LbryDhtService(storage, socket, endpoint, engine, bootstrap ?? [], persistent);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Joins through the contacts saved last time and the bootstrap nodes given. True when the table is not empty.</summary>
    public Task<bool> JoinAsync(CancellationToken cancellationToken)
    {
        var seeds = _storage.Contacts.Load().Select(contact => contact.EndPoint)
            .Concat(_bootstrap)
            .Distinct()
            .ToList();
        return Engine.JoinAsync(seeds, cancellationToken);
    }

    /// <summary>The peers (blob-exchange addresses) the DHT knows for a hash, as lbrynet's peer_list gives them.</summary>
    public async Task<IReadOnlyList<CompactPeerAddress>> FindPeersAsync(BlobHash hash, CancellationToken cancellationToken)
    {
        var found = await Engine.FindPeersAsync(NodeId.FromBytes(hash.Bytes), cancellationToken);
        var peers = new List<CompactPeerAddress>();
        foreach (var value in found.Peers)
        {
            if (CompactPeerAddress.TryRead(value.Span, out var peer) && Endpoint.Policy.IsAllowed(peer.Address) && PeerAddressPolicy.IsValidPort(peer.TcpPort))
            {
                peers.Add(peer);
            }
        }

        return peers;
    }

    /// <summary>Stores "this node serves <paramref name="hash"/>" at the closest nodes; returns how many accepted.</summary>
    public Task<int> AnnounceAsync(BlobHash hash, CancellationToken cancellationToken) =>
        Engine.AnnounceAsync(NodeId.FromBytes(hash.Bytes), ReadOnlyMemory<byte>.Empty, cancellationToken);

    /// <summary>Saves the routing table's contacts that have answered us.</summary>
    public void SaveContacts()
    {
        var contacts = Engine.RoutingTable.GetContacts()
            .Where(contact => contact.LastReplied is not null)
            .Select(contact => new SavedContact(contact.Id.ToArray(), contact.EndPoint, contact.LastReplied!.Value));
        _storage.Contacts.Replace(contacts);
    }

    /// <summary>Stops the node (saving its contacts when it has storage) and closes its socket; a second call does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        if (_persistent)
        {
            SaveContacts();
        }

        Engine.Dispose();
        _socket.Dispose();
        _stop.Dispose();
    }

    /// <summary>Our id stays the same across restarts, as lbry-sdk keeps its node_id file; others' tables stay valid.</summary>
    private static NodeId LoadOrCreateNodeId(LbryStorage storage, IRandomSource random)
    {
        var path = Path.Combine(storage.DataDirectory, NodeIdFileName);
        if (File.Exists(path))
        {
            var text = File.ReadAllText(path).Trim();
            if (text.Length == DhtMessage.NodeIdLength * 2 && text.All(char.IsAsciiHexDigit))
            {
                return NodeId.FromHex(text);
            }
        }

        var id = NodeId.Random(DhtMessage.NodeIdLength, random);
        File.WriteAllText(path, id.ToString());
        return id;
    }
}
