using System.Buffers.Binary;
using System.Net;
using System.Text;
using SmartShare.Bencode;
using SmartShare.Kademlia;
using SmartShare.Kademlia.Networking;
using SmartShare.Networking;

namespace SmartShare.Lbry.Dht;

/// <summary>
/// The LBRY DHT on a UDP socket: it answers ping, findNode, findValue and store as lbry-sdk does (spec 1.4)
/// by handing them to the Kademlia engine, and it carries the engine's own requests as lbry-sdk datagrams,
/// pairing each answer with its request by rpc id and by the address it was sent to.
/// </summary>
public sealed class LbryDhtEndpoint : IKademliaRpc
{
    private const string AttributeErrorType = "<class 'AttributeError'>";

    private static readonly BencodeByteString Pong = BencodeByteString.FromAscii("pong");
    private static readonly BencodeByteString StoreOk = BencodeByteString.FromAscii("OK");

    private readonly IDatagramTransport _socket;
    private readonly LbryDhtOptions _options;
    private readonly IRandomSource _random;
    private readonly PeerAddressPolicy _policy;
    private readonly PendingRequests<RpcKey, DhtMessage> _pending;
    private IKademliaRequestHandler? _handler;
    private byte[] _ownId = [];
    private long _malformed;
    private long _refusedSources;
    private long _requestsHandled;

    public LbryDhtEndpoint(IDatagramTransport socket, LbryDhtOptions options, TimeProvider time, IRandomSource random)
    {
        _socket = socket ?? throw new ArgumentNullException(nameof(socket));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _random = random ?? throw new ArgumentNullException(nameof(random));
        _policy = new PeerAddressPolicy(options.AllowLan);
        _pending = new PendingRequests<RpcKey, DhtMessage>(time ?? throw new ArgumentNullException(nameof(time)), options.MaxPendingRequests);
    }

    public IPEndPoint LocalEndPoint => _socket.LocalEndPoint;

    public PeerAddressPolicy Policy => _policy;

    /// <summary>Datagrams that were not LBRY DHT messages.</summary>
    public long Malformed => Interlocked.Read(ref _malformed);

    /// <summary>Requests dropped because their source address is not one lbry-sdk would talk to.</summary>
    public long RefusedSources => Interlocked.Read(ref _refusedSources);

    public long RequestsHandled => Interlocked.Read(ref _requestsHandled);

    /// <summary>The engine that answers requests; set once, before <see cref="RunAsync"/>.</summary>
    public void Attach(IKademliaRequestHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (handler.Id.Length != DhtMessage.NodeIdLength)
        {
            throw new ArgumentException($"An LBRY node id is {DhtMessage.NodeIdLength} bytes.", nameof(handler));
        }

        _handler = handler;
        _ownId = handler.Id.ToArray();
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
        var answer = await RequestAsync(remote, rpcId => DhtRequest.Ping(rpcId, OwnId), cancellationToken);
        return answer is { Result: BencodeByteString pong } && pong.Value.Span.SequenceEqual("pong"u8) ? NodeId.FromBytes(answer.NodeId.Span) : null;
    }

    public async Task<FindNodeResponse?> FindNodeAsync(IPEndPoint remote, NodeId target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        var answer = await RequestAsync(remote, rpcId => DhtRequest.FindNode(rpcId, OwnId, target.ToArray()), cancellationToken);
        if (answer is not { Result: BencodeList list })
        {
            return null;
        }

        return new FindNodeResponse(NodeId.FromBytes(answer.NodeId.Span), Contacts(list.Items));
    }

    public async Task<FindValueResponse?> FindValueAsync(IPEndPoint remote, NodeId key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var keyBytes = key.ToArray();
        var peers = new List<ReadOnlyMemory<byte>>();
        FindValueResult? first = null;
        NodeId? responder = null;
        for (var page = 0; page < _options.MaxPagesPerNode; page++)
        {
            var answer = await RequestAsync(remote, rpcId => DhtRequest.FindValue(rpcId, OwnId, keyBytes, page), cancellationToken);
            if (answer is null || !FindValueResult.TryRead(answer.Result, keyBytes, _policy, out var result))
            {
                break;
            }

            first ??= result;
            responder ??= NodeId.FromBytes(answer.NodeId.Span);
            peers.AddRange(result.Peers.Select(peer => (ReadOnlyMemory<byte>)peer.ToArray()));

            // lbry-sdk asks for the next page only while pages come back full.
            if (result.Peers.Count < _options.BucketSize || page + 1 >= result.Pages)
            {
                break;
            }
        }

        if (first is null || responder is null)
        {
            return null;
        }

        var contacts = (first.Contacts ?? []).Select(contact => new ContactInfo(NodeId.FromBytes(contact.NodeId.Span), contact.EndPoint)).ToList();
        return new FindValueResponse(responder, peers, contacts, first.Token);
    }

    /// <summary>Stores our own TCP port under <paramref name="key"/>; the peer value is implied, as in lbry-sdk.</summary>
    public async Task<bool> StoreAsync(IPEndPoint remote, NodeId key, ReadOnlyMemory<byte> token, ReadOnlyMemory<byte> peerValue, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var answer = await RequestAsync(remote, rpcId => DhtRequest.Store(rpcId, OwnId, key.ToArray(), token, _options.TcpPort), cancellationToken);
        return answer is { Result: BencodeByteString ok } && ok.Value.Span.SequenceEqual("OK"u8);
    }

    private byte[] OwnId => _handler is null ? throw new InvalidOperationException("No engine attached.") : _ownId;

    private async Task<DhtResponse?> RequestAsync(IPEndPoint remote, Func<byte[], DhtRequest> build, CancellationToken cancellationToken)
    {
        var rpcId = new byte[DhtMessage.RpcIdLength];
        _random.Fill(rpcId);
        var key = RpcKey.From(rpcId);
        if (!_pending.TryAdd(key, remote.Address, _options.RequestTimeout, cancellationToken, out var answer))
        {
            return null;
        }

        try
        {
            await _socket.SendAsync(DhtDatagramCodec.Encode(build(rpcId)), remote, cancellationToken);
            var message = await answer;

            // A node answering with our own id is a reflection of our request, not a peer (spec 1.6).
            return message is DhtResponse response && !response.NodeId.Span.SequenceEqual(OwnId) ? response : null;
        }
        catch (TimeoutException)
        {
            return null;
        }
        catch (DhtRemoteException)
        {
            return null;
        }
    }

    private async ValueTask HandleDatagramAsync(ReadOnlyMemory<byte> datagram, IPEndPoint source, CancellationToken cancellationToken)
    {
        if (source.Address.IsIPv4MappedToIPv6)
        {
            source = new IPEndPoint(source.Address.MapToIPv4(), source.Port);
        }

        DhtMessage message;
        try
        {
            // A copy: the receive buffer is reused, and a decoded message may outlive this call.
            message = DhtDatagramCodec.Decode(datagram.ToArray());
        }
        catch (DhtDatagramException)
        {
            Interlocked.Increment(ref _malformed);
            return;
        }

        switch (message)
        {
            case DhtRequest request:
                if (!_policy.IsAllowed(source))
                {
                    Interlocked.Increment(ref _refusedSources);
                    return;
                }

                Interlocked.Increment(ref _requestsHandled);
                var reply = Answer(request, source);
                await _socket.SendAsync(DhtDatagramCodec.Encode(reply), source, cancellationToken);
                break;
            case DhtResponse:
                _pending.TryComplete(RpcKey.From(message.RpcId.Span), source.Address, message);
                break;
            case DhtError error:
                _pending.TryFail(RpcKey.From(message.RpcId.Span), source.Address, new DhtRemoteException(error.Message));
                break;
        }
    }

    private DhtMessage Answer(DhtRequest request, IPEndPoint source)
    {
        var handler = _handler!;
        var ownId = _ownId;
        var sender = new RequestSender(NodeId.FromBytes(request.NodeId.Span), source);
        switch (request.Method)
        {
            case DhtRequest.PingMethod:
                handler.HandlePing(sender);
                return new DhtResponse(request.RpcId, ownId, Pong);

            case DhtRequest.FindNodeMethod:
                if (!TryKey(request, out var target))
                {
                    return ValueError(request, ownId, "invalid contact id length");
                }

                var contacts = handler.HandleFindNode(sender, target).Take(_options.BucketSize);
                return new DhtResponse(request.RpcId, ownId, new BencodeList(contacts.Select(contact => (BencodeValue)ToDht(contact).ToBencode())));

            case DhtRequest.FindValueMethod:
                if (!TryKey(request, out var key))
                {
                    return ValueError(request, ownId, "invalid key length");
                }

                return new DhtResponse(request.RpcId, ownId, FindValueAnswer(handler.HandleFindValue(sender, key), key, Page(request)));

            case DhtRequest.StoreMethod:
                return Store(request, handler, sender, ownId);

            default:
                return new DhtError(request.RpcId, ownId, AttributeErrorType, $"Invalid method: {Shorten(request.Method)}");
        }
    }

    private static DhtMessage Store(DhtRequest request, IKademliaRequestHandler handler, RequestSender sender, byte[] ownId)
    {
        if (!TryKey(request, out var key) || request.Arguments.Count < 3
            || request.Arguments[1] is not BencodeByteString token
            || request.Arguments[2] is not BencodeInteger port)
        {
            return ValueError(request, ownId, "invalid store arguments");
        }

        if (port.Value is <= 0 or >= 65535)
        {
            return ValueError(request, ownId, $"invalid tcp port: {port.Value}");
        }

        // What is stored is what findValue hands out: the UDP source address, the announced TCP port, the id.
        var peer = new CompactPeerAddress(sender.EndPoint.Address, (int)port.Value, sender.Id.ToArray()).ToArray();
        return handler.HandleStore(sender, key, token.Value.Span, peer)
            ? new DhtResponse(request.RpcId, ownId, StoreOk)
            : ValueError(request, ownId, "Invalid token");
    }

    private BencodeDictionary FindValueAnswer(FindValueResponse found, NodeId key, int page)
    {
        var k = _options.BucketSize;
        var peers = found.Peers
            .Select(bytes => CompactPeerAddress.TryRead(bytes.Span, out var peer) ? peer : (CompactPeerAddress?)null)
            .OfType<CompactPeerAddress>()
            .ToList();
        var result = new FindValueResult(
            found.Token,
            page == 0 ? found.Contacts.Take(k).Select(ToDht).ToList() : null,
            FindValueResult.PageCount(peers.Count, k),
            peers.Skip(page * k).Take(k).ToList());
        return result.ToBencode(key.ToArray());
    }

    private List<ContactInfo> Contacts(IEnumerable<BencodeValue> items)
    {
        var contacts = new List<ContactInfo>();
        foreach (var item in items)
        {
            if (DhtContact.TryRead(item, _policy, out var contact))
            {
                contacts.Add(new ContactInfo(NodeId.FromBytes(contact.NodeId.Span), contact.EndPoint));
            }
        }

        return contacts;
    }

    private static DhtContact ToDht(ContactInfo contact) => new(contact.Id.ToArray(), contact.EndPoint);

    private static bool TryKey(DhtRequest request, out NodeId key)
    {
        if (request.Arguments.Count > 0 && request.Arguments[0] is BencodeByteString { Value.Length: DhtMessage.NodeIdLength } bytes)
        {
            key = NodeId.FromBytes(bytes.Value.Span);
            return true;
        }

        key = null!;
        return false;
    }

    private static int Page(DhtRequest request)
    {
        foreach (var entry in request.Keywords)
        {
            if (!entry.Key.IsInteger && entry.Key.Bytes.Span.SequenceEqual("p"u8) && entry.Value is BencodeInteger { Value: >= 0 and <= 1024 } page)
            {
                return (int)page.Value;
            }
        }

        return 0;
    }

    private static DhtError ValueError(DhtRequest request, byte[] ownId, string message) =>
        new(request.RpcId, ownId, DhtError.ValueErrorType, message);

    private static string Shorten(string text) => text.Length <= 64 ? text : text[..64];

    /// <summary>A 20-byte rpc id as a value type, so the pending table hashes it without allocating.</summary>
    private readonly record struct RpcKey(ulong First, ulong Second, uint Third)
    {
        public static RpcKey From(ReadOnlySpan<byte> rpcId) => new(
            BinaryPrimitives.ReadUInt64BigEndian(rpcId),
            BinaryPrimitives.ReadUInt64BigEndian(rpcId[8..]),
            BinaryPrimitives.ReadUInt32BigEndian(rpcId[16..]));
    }

    /// <summary>The remote side answered with an error datagram.</summary>
    private sealed class DhtRemoteException(string message) : Exception(message);
}
