using System.Buffers.Binary;
using System.Net;
using SmartShare.Kademlia;
using SmartShare.Kademlia.Networking;
using SmartShare.Networking;

namespace SmartShare.BitTorrent.Dht;

/// <summary>
/// The Mainline DHT (BEP 5) on a datagram transport: it carries the Kademlia engine's requests as KRPC queries,
/// pairing each answer with its query by transaction id and the address and port it went to, and answers
/// incoming ping, find_node, get_peers and announce_peer by handing them to the engine. Incoming queries are
/// rate-limited per IP; malformed queries get error 203 and unknown methods 204. One endpoint speaks one address
/// family, that of its socket (BEP 32: a node runs one table per family); <see cref="OtherFamilyNodes"/> lets it
/// answer a query's <c>want</c> for the other family from the other endpoint's table.
/// </summary>
public sealed class MainlineDhtEndpoint : IKademliaRpc
{
    private readonly IDatagramTransport _socket;
    private readonly MainlineDhtOptions _options;
    private readonly IRandomSource _random;
    private readonly DhtAddressPolicy _policy;
    private readonly SourceRateLimiter _queryLimiter;
    private readonly PendingRequests<TransactionKey, KrpcMessage> _pending;
    private readonly Action<string>? _log;
    private IKademliaRequestHandler? _handler;
    private NodeId? _ownId;
    private long _malformed;
    private long _refusedSources;
    private long _rateLimited;
    private long _queriesAnswered;

    public MainlineDhtEndpoint(
        IDatagramTransport socket, MainlineDhtOptions options, TimeProvider time, IRandomSource random, Action<string>? log = null)
    {
        _socket = socket ?? throw new ArgumentNullException(nameof(socket));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        ArgumentNullException.ThrowIfNull(time);
        _random = random ?? throw new ArgumentNullException(nameof(random));
        _log = log;
        _policy = new DhtAddressPolicy(options.AllowLan);
        _queryLimiter = new SourceRateLimiter(time, options.MaxIncomingQueriesPerSecondPerIp, options.QueryBurstPerIp, options.MaxTrackedSources);
        _pending = new PendingRequests<TransactionKey, KrpcMessage>(time, options.MaxPendingRequests);
    }

    public IPEndPoint LocalEndPoint => _socket.LocalEndPoint;

    /// <summary>The family this endpoint talks to: its socket's (IPv4 or IPv6).</summary>
    public System.Net.Sockets.AddressFamily Family => _socket.LocalEndPoint.AddressFamily;

    /// <summary>
    /// The closest contacts to a target in the other family's table (BEP 32 <c>want</c>), or null when this node
    /// runs one family only. Set by <see cref="MainlineDht.Pair"/>.
    /// </summary>
    public Func<NodeId, IReadOnlyList<ContactInfo>>? OtherFamilyNodes { get; set; }

    public DhtAddressPolicy Policy => _policy;

    /// <summary>Datagrams that were not KRPC messages we could use.</summary>
    public long Malformed => Interlocked.Read(ref _malformed);

    /// <summary>Datagrams dropped because the policy refuses their source address.</summary>
    public long RefusedSources => Interlocked.Read(ref _refusedSources);

    /// <summary>Queries dropped by the per-IP rate limit.</summary>
    public long RateLimited => Interlocked.Read(ref _rateLimited);

    public long QueriesAnswered => Interlocked.Read(ref _queriesAnswered);

    /// <summary>Our requests still waiting for an answer.</summary>
    public int PendingRequests => _pending.Count;

    /// <summary>
    /// Raised (on the receive loop) for each answer to one of our queries that carries BEP 42's <c>ip</c>: the address
    /// and port the answering node saw us at, then the answering node's own address. Handlers must not block or throw.
    /// </summary>
    public event Action<IPEndPoint, IPEndPoint>? ExternalAddressReported;

    /// <summary>The engine that answers queries; set once, before <see cref="RunAsync"/>.</summary>
    public void Attach(IKademliaRequestHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (handler.Id.Length != KrpcCodec.IdLength)
        {
            throw new ArgumentException($"A Mainline node id is {KrpcCodec.IdLength} bytes.", nameof(handler));
        }

        _handler = handler;
        _ownId = handler.Id;
    }

    /// <summary>Receives and answers until cancelled.</summary>
    public Task RunAsync(CancellationToken cancellationToken)
    {
        if (_handler is null)
        {
            throw new InvalidOperationException("Attach the Kademlia engine before running the endpoint.");
        }

        return _socket.RunAsync(HandleDatagramAsync, cancellationToken);
    }

    public async Task<NodeId?> PingAsync(IPEndPoint remote, CancellationToken cancellationToken)
    {
        var answer = await RequestAsync(remote, t => KrpcQuery.Ping(t, OwnId), cancellationToken);
        return answer?.Id;
    }

    public async Task<FindNodeResponse?> FindNodeAsync(IPEndPoint remote, NodeId target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        var answer = await RequestAsync(remote, t => KrpcQuery.FindNode(t, OwnId, target), cancellationToken);
        return answer is null ? null : new FindNodeResponse(answer.Id, UsableNodes(answer.Nodes));
    }

    /// <summary>get_peers: the peers as compact bytes (6 or 18), the closest nodes, and the token for announcing.</summary>
    public async Task<FindValueResponse?> FindValueAsync(IPEndPoint remote, NodeId key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length != InfoHash.Length)
        {
            return null;
        }

        var infoHash = InfoHash.FromBytes(key.Span);
        var answer = await RequestAsync(remote, t => KrpcQuery.GetPeers(t, OwnId, infoHash), cancellationToken);
        if (answer is null)
        {
            return null;
        }

        var peers = answer.Values
            .Where(_policy.IsAllowed)
            .Select(peer => (ReadOnlyMemory<byte>)KrpcCodec.CompactPeer(peer))
            .ToList();
        return new FindValueResponse(answer.Id, peers, UsableNodes(answer.Nodes), answer.Token);
    }

    /// <summary>
    /// announce_peer. <paramref name="peerValue"/> is the port to announce as two big-endian bytes; port 0 sends
    /// <c>implied_port=1</c> so the receiver takes our UDP source port.
    /// </summary>
    public async Task<bool> StoreAsync(
        IPEndPoint remote, NodeId key, ReadOnlyMemory<byte> token, ReadOnlyMemory<byte> peerValue, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length != InfoHash.Length || peerValue.Length != 2)
        {
            return false;
        }

        var infoHash = InfoHash.FromBytes(key.Span);
        var port = BinaryPrimitives.ReadUInt16BigEndian(peerValue.Span);
        var implied = port == 0;
        var sentPort = implied ? LocalEndPoint.Port : port;
        var answer = await RequestAsync(remote, t => KrpcQuery.AnnouncePeer(t, OwnId, infoHash, sentPort, implied, token), cancellationToken);
        return answer is not null;
    }

    /// <summary>The two-byte peer value <see cref="StoreAsync"/> expects for <paramref name="port"/> (0: implied).</summary>
    public static byte[] PortValue(int port)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, ushort.MaxValue);
        var value = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(value, (ushort)port);
        return value;
    }

    private NodeId OwnId => _ownId ?? throw new InvalidOperationException("No engine attached.");

    private async Task<KrpcResponse?> RequestAsync(IPEndPoint remote, Func<byte[], KrpcQuery> build, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(remote);
        remote = Normalize(remote);
        if (remote.AddressFamily != Family || !_policy.IsAllowed(remote) || remote.Equals(LocalEndPoint))
        {
            return null;
        }

        var transactionId = new byte[2];
        Task<KrpcMessage>? answer = null;
        for (var attempt = 0; attempt < 4 && answer is null; attempt++)
        {
            _random.Fill(transactionId);
            var key = new TransactionKey(BinaryPrimitives.ReadUInt16BigEndian(transactionId), remote.Port);
            if (_pending.TryAdd(key, remote.Address, _options.RequestTimeout, cancellationToken, out var pending))
            {
                answer = pending;
            }
        }

        if (answer is null)
        {
            // Too many requests in flight (or repeated id clashes): report no answer rather than queue.
            return null;
        }

        try
        {
            await _socket.SendAsync(KrpcCodec.Encode(build(transactionId) with { Version = _options.Version }), remote, cancellationToken);
            var message = await answer;

            // A node answering with our own id is our own query reflected back, not a peer.
            return message is KrpcResponse response && !response.Id.Equals(OwnId) ? response : null;
        }
        catch (TimeoutException)
        {
            return null;
        }
        catch (KrpcRemoteException)
        {
            return null;
        }
    }

    private async ValueTask HandleDatagramAsync(ReadOnlyMemory<byte> datagram, IPEndPoint source, CancellationToken cancellationToken)
    {
        source = Normalize(source);
        if (!_policy.IsAllowed(source))
        {
            Interlocked.Increment(ref _refusedSources);
            return;
        }

        KrpcMessage message;
        try
        {
            // A copy: the receive buffer is reused, and the decoded message keeps slices of it.
            message = KrpcCodec.Decode(datagram.ToArray());
        }
        catch (KrpcFormatException ex)
        {
            Interlocked.Increment(ref _malformed);
            if (ex.IsAnswerableQuery && AcceptQueryFrom(source))
            {
                await SendAsync(new KrpcError(ex.QueryTransactionId, KrpcErrorCode.Protocol, Shorten(ex.Message)), source, cancellationToken);
            }

            return;
        }

        switch (message)
        {
            case KrpcQuery query:
                if (!AcceptQueryFrom(source))
                {
                    return;
                }

                Interlocked.Increment(ref _queriesAnswered);
                await SendAsync(Answer(query, source), source, cancellationToken);
                break;
            case KrpcResponse response when response.TransactionId.Length == 2:
                // Only an answer to a query we sent counts: an unasked datagram could claim anything.
                if (_pending.TryComplete(KeyOf(response.TransactionId, source), source.Address, response) && response.Ip is { } seen)
                {
                    ExternalAddressReported?.Invoke(Normalize(seen), source);
                }

                break;
            case KrpcError error when error.TransactionId.Length == 2:
                _pending.TryFail(KeyOf(error.TransactionId, source), source.Address, new KrpcRemoteException(error.Code, error.Message));
                break;
        }
    }

    private KrpcMessage Answer(KrpcQuery query, IPEndPoint source)
    {
        var handler = _handler!;
        var ownId = OwnId;
        var sender = new RequestSender(query.Id, source, query.ReadOnly);
        switch (query.Method)
        {
            case KrpcMethod.Ping:
                handler.HandlePing(sender);
                return new KrpcResponse(query.TransactionId, ownId);

            case KrpcMethod.FindNode:
                var nodes = Wanted(query, handler.HandleFindNode(sender, query.Target!), query.Target!);
                return new KrpcResponse(query.TransactionId, ownId) { Nodes = nodes };

            case KrpcMethod.GetPeers:
                var found = handler.HandleFindValue(sender, NodeId.FromBytes(query.InfoHash!.Value.ToArray()));
                var values = new List<IPEndPoint>();
                foreach (var value in found.Peers)
                {
                    if (values.Count < _options.MaxValuesPerResponse && KrpcCodec.TryReadCompactPeer(value.Span, out var peer))
                    {
                        values.Add(peer);
                    }
                }

                return new KrpcResponse(query.TransactionId, ownId)
                {
                    Nodes = Wanted(query, found.Contacts, NodeId.FromBytes(query.InfoHash!.Value.ToArray())),
                    Values = values,
                    Token = found.Token,
                };

            case KrpcMethod.AnnouncePeer:
                var port = query.ImpliedPort ? source.Port : query.Port;
                if (port is <= 0 or > ushort.MaxValue)
                {
                    return new KrpcError(query.TransactionId, KrpcErrorCode.Protocol, "invalid port");
                }

                var stored = KrpcCodec.CompactPeer(new IPEndPoint(source.Address, port));
                var key = NodeId.FromBytes(query.InfoHash!.Value.ToArray());
                return handler.HandleStore(sender, key, query.Token.Span, stored)
                    ? new KrpcResponse(query.TransactionId, ownId)
                    : new KrpcError(query.TransactionId, KrpcErrorCode.Protocol, "invalid token");

            default:
                return new KrpcError(query.TransactionId, KrpcErrorCode.MethodUnknown, "Method Unknown");
        }
    }

    // BEP 32: nodes of the families the query wants; with no want, those of the family it arrived on (ours).
    private List<ContactInfo> Wanted(KrpcQuery query, IReadOnlyList<ContactInfo> own, NodeId target)
    {
        var ownFlag = Family == System.Net.Sockets.AddressFamily.InterNetworkV6 ? KrpcWant.N6 : KrpcWant.N4;
        var want = query.Want == KrpcWant.None ? ownFlag : query.Want;
        var nodes = want.HasFlag(ownFlag) ? own.Take(_options.BucketSize).ToList() : [];
        if ((want & ~ownFlag) != KrpcWant.None && OtherFamilyNodes is { } other)
        {
            nodes.AddRange(other(target).Take(_options.BucketSize));
        }

        return nodes;
    }

    private bool AcceptQueryFrom(IPEndPoint source)
    {
        // The receive loop calls this one datagram at a time, which is what the limiter needs.
        if (_queryLimiter.TryAccept(source.Address))
        {
            return true;
        }

        if (Interlocked.Increment(ref _rateLimited) % 1000 == 1)
        {
            _log?.Invoke($"DHT: dropping queries from {source.Address} over the per-IP rate limit ({RateLimited} so far).");
        }

        return false;
    }

    // Answers only: each tells the querying node where we saw it come from (BEP 42's ip).
    private ValueTask SendAsync(KrpcMessage message, IPEndPoint destination, CancellationToken cancellationToken) =>
        _socket.SendAsync(KrpcCodec.Encode(message with { Version = _options.Version, Ip = destination }), destination, cancellationToken);

    private List<ContactInfo> UsableNodes(IReadOnlyList<ContactInfo> nodes) =>
        nodes.Where(node => Normalize(node.EndPoint).AddressFamily == Family && _policy.IsAllowed(node.EndPoint) && !node.Id.Equals(OwnId) && !node.EndPoint.Equals(LocalEndPoint)).ToList();

    private static TransactionKey KeyOf(ReadOnlyMemory<byte> transactionId, IPEndPoint source) =>
        new(BinaryPrimitives.ReadUInt16BigEndian(transactionId.Span), source.Port);

    private static IPEndPoint Normalize(IPEndPoint endPoint) =>
        endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;

    private static string Shorten(string text) => text.Length <= 100 ? text : text[..100];

    /// <summary>Our two-byte transaction id and the port the query went to (the address is checked by the table).</summary>
    private readonly record struct TransactionKey(ushort TransactionId, int Port);

    /// <summary>The remote node answered with a KRPC error.</summary>
    private sealed class KrpcRemoteException(int code, string message) : Exception($"{code} {message}");
}
