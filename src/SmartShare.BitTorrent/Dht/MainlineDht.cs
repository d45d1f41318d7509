using System.Net;
using SmartShare.Kademlia;
using SmartShare.Kademlia.Storage;
using SmartShare.Kademlia.Tokens;
using SmartShare.Networking;

namespace SmartShare.BitTorrent.Dht;

/// <summary>
/// A Mainline DHT node (BEP 5) on one datagram transport, normally the UDP side of the BitTorrent listen port:
/// it finds peers for an info hash, announces us as a peer, and answers other nodes. Routing follows BEP 5:
/// K = 8, only the bucket holding our own id splits, nodes are good for 15 minutes after an answer, a full
/// bucket pings its questionable nodes before replacing them, requesters join at once unless read-only (BEP 43).
/// The caller owns the transport and disposes it after this node.
/// </summary>
public sealed class MainlineDht : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly IDatagramTransport _transport;
    private readonly MainlineDhtOptions _options;
    private readonly Action<string>? _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<MainlineDhtContact> _imported = [];
    private Task? _receiveLoop;
    private int _disposed;

    private MainlineDht(IDatagramTransport transport, MainlineDhtOptions options, MainlineDhtEndpoint endpoint, KademliaNode engine, Action<string>? log)
    {
        _transport = transport;
        _options = options;
        Endpoint = endpoint;
        Engine = engine;
        _log = log;
    }

    public NodeId Id => Engine.Id;

    public IPEndPoint LocalEndPoint => _transport.LocalEndPoint;

    /// <summary>Contacts in the routing table.</summary>
    public int NodeCount => Engine.RoutingTable.Count;

    /// <summary>The KRPC side, with its counters (malformed, rate-limited, refused sources).</summary>
    public MainlineDhtEndpoint Endpoint { get; }

    /// <summary>The Kademlia engine: routing table, announced peers, tokens.</summary>
    public KademliaNode Engine { get; }

    /// <summary>Makes a node with a random 20-byte id (or <paramref name="id"/>); nothing is sent until <see cref="Start"/>.</summary>
    public static MainlineDht Create(
        IDatagramTransport transport,
        MainlineDhtOptions options,
        TimeProvider time,
        IRandomSource random,
        Action<string>? log = null,
        NodeId? id = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(random);
        id ??= NodeId.Random(KrpcCodec.IdLength, random);
        if (id.Length != KrpcCodec.IdLength)
        {
            throw new ArgumentException($"A Mainline node id is {KrpcCodec.IdLength} bytes.", nameof(id));
        }

        var endpoint = new MainlineDhtEndpoint(transport, options, time, random, log);
        var engine = new KademliaNode(id, endpoint, time, random, EngineOptions(options));
        endpoint.Attach(engine);
        return new MainlineDht(transport, options, endpoint, engine, log);
    }

    /// <summary>The engine settings that make the generic Kademlia node behave as BEP 5 describes.</summary>
    public static KademliaNodeOptions EngineOptions(MainlineDhtOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new KademliaNodeOptions
        {
            BucketSize = options.BucketSize,
            Parallelism = options.Parallelism,
            SplitBucketsUnderIndex = 1,
            SplitCloserThanKthClosest = false,
            GoodWindow = options.GoodWindow,
            RequesterPingBackDelay = TimeSpan.Zero,
            JoinLookupCount = options.BucketSize,
            MaxPeersPerResponse = options.MaxValuesPerResponse,
            RefreshInterval = options.RefreshInterval,
            PeerStore = new PeerStoreOptions
            {
                Expiry = options.PeerExpiry,
                MaxKeys = options.MaxInfoHashes,
                MaxPeersPerKey = options.MaxPeersPerInfoHash,
                MaxPeerValueLength = 18,
            },
            Tokens = new TokenManagerOptions
            {
                HashAlgorithm = System.Security.Cryptography.HashAlgorithmName.SHA1,
                TokenLength = options.TokenLength,
                SecretLength = 20,
                RotationInterval = options.TokenRotation,
            },
        };
    }

    /// <summary>
    /// Ties a node on an IPv4 socket to one on an IPv6 socket (BEP 32): each answers a query's <c>want</c> for the
    /// other family with the other's closest contacts. Each keeps its own table, peers and tokens.
    /// </summary>
    public static void Pair(MainlineDht first, MainlineDht second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        if (first.Endpoint.Family == second.Endpoint.Family)
        {
            throw new ArgumentException("A pair is one IPv4 node and one IPv6 node.", nameof(second));
        }

        first.Endpoint.OtherFamilyNodes = second.ClosestContacts;
        second.Endpoint.OtherFamilyNodes = first.ClosestContacts;
    }

    /// <summary>Starts answering other nodes and the periodic bucket refresh (every 15 minutes by default).</summary>
    public void Start()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            if (_receiveLoop is not null)
            {
                return;
            }

            _receiveLoop = Endpoint.RunAsync(_stop.Token);
        }

        Engine.Start();
    }

    /// <summary>
    /// Joins the DHT: pings the imported contacts of a previous run, then looks up our own id through
    /// <see cref="MainlineDhtOptions.Bootstrap"/>, <paramref name="extra"/> and whatever answered. True when the
    /// routing table holds at least one node.
    /// </summary>
    public async Task<bool> BootstrapAsync(IReadOnlyList<IPEndPoint> extra, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(extra);
        MainlineDhtContact[] imported;
        lock (_gate)
        {
            imported = [.. _imported];
            _imported.Clear();
        }

        if (imported.Length != 0)
        {
            await Task.WhenAll(imported.Select(contact => Engine.PingAsync(contact.EndPoint, cancellationToken)));
            _log?.Invoke($"DHT: {NodeCount} of {imported.Length} saved nodes answered.");
        }

        var bootstrap = _options.Bootstrap.Concat(extra).Select(Normalize).Distinct().ToList();
        var joined = await Engine.JoinAsync(bootstrap, cancellationToken);
        _log?.Invoke(joined
            ? $"DHT: joined with {NodeCount} nodes in the routing table."
            : "DHT: no node answered; the DHT retries at the next refresh.");
        return joined;
    }

    /// <summary>Pings <paramref name="endPoint"/> and adds it if it answers (BEP 5 PORT messages, magnet <c>dht=</c> nodes).</summary>
    public async Task AddNodeAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        await Engine.PingAsync(Normalize(endPoint), cancellationToken);
    }

    /// <summary>
    /// The peers the DHT knows for <paramref name="infoHash"/>. <paramref name="onPeers"/> hears each batch of
    /// new peers as soon as a node returns it, long before the lookup ends.
    /// </summary>
    public async Task<IReadOnlyList<IPEndPoint>> GetPeersAsync(
        InfoHash infoHash, CancellationToken cancellationToken, Action<IReadOnlyList<IPEndPoint>>? onPeers = null)
    {
        var found = new List<IPEndPoint>();
        var seen = new HashSet<IPEndPoint>();
        void Collect(IReadOnlyList<ReadOnlyMemory<byte>> values)
        {
            var fresh = new List<IPEndPoint>();
            lock (seen)
            {
                foreach (var value in values)
                {
                    if (KrpcCodec.TryReadCompactPeer(value.Span, out var peer) && Endpoint.Policy.IsAllowed(peer) && seen.Add(peer))
                    {
                        found.Add(peer);
                        fresh.Add(peer);
                    }
                }
            }

            if (fresh.Count != 0)
            {
                onPeers?.Invoke(fresh);
            }
        }

        var result = await Engine.FindPeersAsync(NodeId.FromBytes(infoHash.ToArray()), cancellationToken, onNewPeers: Collect);
        Collect(result.Peers);
        lock (seen)
        {
            return [.. found];
        }
    }

    /// <summary>
    /// Announces us as a peer for <paramref name="infoHash"/> on TCP <paramref name="port"/> at the closest nodes
    /// (port 0: <c>implied_port</c>, the receivers take our UDP port). Returns how many nodes accepted.
    /// </summary>
    public Task<int> AnnounceAsync(InfoHash infoHash, int port, CancellationToken cancellationToken) =>
        Engine.AnnounceAsync(NodeId.FromBytes(infoHash.ToArray()), MainlineDhtEndpoint.PortValue(port), cancellationToken);

    /// <summary>The contacts that have answered us, most recent first, to save for the next run.</summary>
    public IReadOnlyList<MainlineDhtContact> ExportContacts() => Engine.RoutingTable.GetContacts()
        .Where(contact => contact.LastReplied is not null && Engine.RoutingTable.GetLiveness(contact) != ContactLiveness.Bad)
        .Select(contact => new MainlineDhtContact(contact.Id, contact.EndPoint, contact.LastReplied!.Value))
        .OrderByDescending(contact => contact.LastReplied)
        .ToList();

    /// <summary>
    /// Contacts saved by a previous run; <see cref="BootstrapAsync"/> pings them and keeps those that answer.
    /// At most <see cref="MainlineDhtOptions.MaxImportedContacts"/>, the most recent first; ourselves and refused
    /// addresses are skipped.
    /// </summary>
    public void ImportContacts(IEnumerable<MainlineDhtContact> contacts)
    {
        ArgumentNullException.ThrowIfNull(contacts);
        var usable = contacts
            .Where(contact => contact.Id.Length == KrpcCodec.IdLength && !contact.Id.Equals(Id) && Endpoint.Policy.IsAllowed(contact.EndPoint))
            .OrderByDescending(contact => contact.LastReplied)
            .Take(_options.MaxImportedContacts);
        lock (_gate)
        {
            _imported.AddRange(usable);
            if (_imported.Count > _options.MaxImportedContacts)
            {
                _imported.RemoveRange(_options.MaxImportedContacts, _imported.Count - _options.MaxImportedContacts);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync();
        Task? loop;
        lock (_gate)
        {
            loop = _receiveLoop;
        }

        if (loop is not null)
        {
            try
            {
                await loop;
            }
            catch (OperationCanceledException)
            {
                // Stopping.
            }
        }

        Engine.Dispose();
        _stop.Dispose();
    }

    private IReadOnlyList<ContactInfo> ClosestContacts(NodeId target) =>
        [.. Engine.RoutingTable.Closest(target, _options.BucketSize).Select(contact => new ContactInfo(contact.Id, contact.EndPoint))];

    private static IPEndPoint Normalize(IPEndPoint endPoint) =>
        endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;
}
