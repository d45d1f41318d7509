using System.Net;
using SmartShare.Kademlia.Lookups;
using SmartShare.Kademlia.Networking;
using SmartShare.Kademlia.Routing;
using SmartShare.Kademlia.Storage;
using SmartShare.Kademlia.Tokens;

namespace SmartShare.Kademlia;

/// <summary>
/// A DHT node without a wire format: routing table, announced-peer store and tokens, the handling of incoming
/// requests, and join, announce, find-peers and refresh built on <see cref="IterativeLookup"/>. Each network
/// (LBRY, Mainline) plugs in an <see cref="IKademliaRpc"/> over its codec and forwards decoded requests here.
/// </summary>
public sealed class KademliaNode : IKademliaRequestHandler, ILookupObserver, IDisposable
{
    private readonly Lock _gate = new();
    private readonly IKademliaRpc _rpc;
    private readonly TimeProvider _timeProvider;
    private readonly IRandomSource _random;
    private readonly KademliaNodeOptions _options;
    private readonly IterativeLookup _lookup;
    private readonly HashSet<IPEndPoint> _pendingPings = [];
    private readonly RecentReplies _recentReplies;
    private readonly CancellationTokenSource _lifetime = new();

    // Captured once: the token stays usable (and cancelled) after the source is disposed.
    private readonly CancellationToken _stopping;
    private IPEndPoint[] _bootstrapEndPoints = [];
    private ITimer? _refreshTimer;
    private ITimer? _smallTableTimer;
    private long _directRequests;
    private int _rejoining;
    private int _disposed;

    public KademliaNode(
        NodeId id, IKademliaRpc rpc, TimeProvider timeProvider, IRandomSource random, KademliaNodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(rpc);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(random);
        Id = id;
        _rpc = rpc;
        _timeProvider = timeProvider;
        _random = random;
        _options = options ?? new KademliaNodeOptions();
        RoutingTable = new RoutingTable(id, timeProvider, new RoutingTableOptions
        {
            BucketSize = _options.BucketSize,
            SplitBucketsUnderIndex = _options.SplitBucketsUnderIndex,
            SplitCloserThanKthClosest = _options.SplitCloserThanKthClosest,
            GoodWindow = _options.GoodWindow,
        });
        _stopping = _lifetime.Token;
        _recentReplies = new RecentReplies(RoutingTable.GoodWindow, _options.MaxRecentReplies);
        PeerStore = new PeerStore(timeProvider, _options.PeerStore);
        Tokens = new TokenManager(timeProvider, random, _options.Tokens);
        _lookup = new IterativeLookup(
            rpc,
            new LookupOptions { BucketSize = _options.BucketSize, Parallelism = _options.Parallelism },
            this,
            id);
    }

    public NodeId Id { get; }

    public RoutingTable RoutingTable { get; }

    public PeerStore PeerStore { get; }

    public TokenManager Tokens { get; }

    /// <summary>Every request this node has sent: lookups, pings, token fetches and stores.</summary>
    public long RequestsSent => _lookup.RequestsSent + Interlocked.Read(ref _directRequests);

    /// <summary>Starts the periodic bucket refresh (which also re-joins when the table has emptied).</summary>
    public void Start()
    {
        _refreshTimer ??= _timeProvider.CreateTimer(
            static state => _ = ((KademliaNode)state!).RefreshInBackgroundAsync(),
            this,
            _options.RefreshInterval,
            _options.RefreshInterval);
        if (_options.SmallTableBelow > 0 && _options.SmallTableRejoinInterval > TimeSpan.Zero)
        {
            _smallTableTimer ??= _timeProvider.CreateTimer(
                static state => ((KademliaNode)state!).RejoinIfTableSmall(),
                this,
                _options.SmallTableRejoinInterval,
                _options.SmallTableRejoinInterval);
        }
    }

    /// <summary>
    /// Looks up our own id through the bootstrap addresses (and anything already in the table); retries while
    /// the table stays empty. True once the table holds at least one contact.
    /// </summary>
    public async Task<bool> JoinAsync(IReadOnlyList<IPEndPoint> bootstrapEndPoints, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bootstrapEndPoints);
        _bootstrapEndPoints = bootstrapEndPoints.ToArray();
        for (var attempt = 0; attempt < _options.MaxJoinAttempts; attempt++)
        {
            await _lookup.FindNodeAsync(
                Id, SeedsFor(Id), _bootstrapEndPoints, _options.JoinLookupCount, cancellationToken);
            if (RoutingTable.Count > 0)
            {
                return true;
            }

            await Task.Delay(_options.JoinRetryDelay, _timeProvider, cancellationToken);
        }

        return RoutingTable.Count > 0;
    }

    public Task<NodeLookupResult> FindClosestNodesAsync(NodeId target, int count, CancellationToken cancellationToken) =>
        _lookup.FindNodeAsync(target, SeedsFor(target), BootstrapIfTableEmpty(), count, cancellationToken);

    /// <summary>
    /// Stores <paramref name="peerValue"/> under <paramref name="key"/> at the K closest nodes that answer,
    /// fetching a token from each first. Returns how many accepted it.
    /// </summary>
    public async Task<int> AnnounceAsync(NodeId key, ReadOnlyMemory<byte> peerValue, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var closest = await FindClosestNodesAsync(key, _options.BucketSize, cancellationToken);
        var stores = closest.Closest.Select(node => StoreAtAsync(node.EndPoint, key, peerValue, cancellationToken));
        var accepted = await Task.WhenAll(stores);
        return accepted.Count(stored => stored);
    }

    /// <summary>
    /// A value lookup for <paramref name="key"/>, merged with what this node stores itself. Stops once
    /// <paramref name="stopAfterPeers"/> distinct peers are known. <paramref name="onNewPeers"/>, when given, hears
    /// each batch of peers not seen before as soon as it arrives (our own stored peers first), so a caller can
    /// start using them before the lookup ends.
    /// </summary>
    public async Task<ValueLookupResult> FindPeersAsync(
        NodeId key,
        CancellationToken cancellationToken,
        int stopAfterPeers = int.MaxValue,
        Action<IReadOnlyList<ReadOnlyMemory<byte>>>? onNewPeers = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        var local = PeerStore.GetPeers(key);
        if (onNewPeers is not null && local.Count != 0)
        {
            onNewPeers(local.Select(peer => peer.Value).ToArray());
        }

        var found = await _lookup.FindValueAsync(key, SeedsFor(key), BootstrapIfTableEmpty(), stopAfterPeers, cancellationToken, onNewPeers);
        if (local.Count == 0)
        {
            return found;
        }

        var peers = found.Peers.Concat(local.Select(peer => peer.Value)).Distinct(ByteSequenceComparer.Instance).ToArray();
        return found with { Peers = peers };
    }

    /// <summary>
    /// Drops expired announcements, looks up a random id in every bucket's range and pings every contact that
    /// is not good. Re-joins through the bootstrap addresses instead when the table is empty.
    /// </summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        PeerStore.RemoveExpired();
        if (RoutingTable.Count == 0)
        {
            if (_bootstrapEndPoints.Length != 0)
            {
                await JoinAsync(_bootstrapEndPoints, cancellationToken);
            }

            return;
        }

        var lookups = RoutingTable.GetBucketRanges()
            .Select(range => FindClosestNodesAsync(range.RandomId(Id, _random), _options.BucketSize, cancellationToken));
        await Task.WhenAll(lookups);
        var pings = RoutingTable.GetContacts()
            .Where(contact => RoutingTable.GetLiveness(contact) != ContactLiveness.Good)
            .Select(contact => PingAsync(contact.EndPoint, cancellationToken));
        await Task.WhenAll(pings);
    }

    /// <summary>
    /// Pings <paramref name="endPoint"/>; a node that answers joins (or refreshes its place in) the routing table,
    /// a silence counts against the contact there. Returns the id that answered, or null.
    /// </summary>
    public async Task<NodeId?> PingAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        Interlocked.Increment(ref _directRequests);
        var answeredId = await _rpc.PingAsync(endPoint, cancellationToken);
        if (answeredId is null || answeredId.Equals(Id) || answeredId.Length != Id.Length)
        {
            RecordFailure(endPoint);
            return null;
        }

        AddResponder(answeredId, endPoint);
        return answeredId;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _lifetime.Cancel();
        _refreshTimer?.Dispose();
        _smallTableTimer?.Dispose();
        Tokens.Dispose();
        _lifetime.Dispose();
    }

    void IKademliaRequestHandler.HandlePing(RequestSender sender) => NoteRequester(sender);

    IReadOnlyList<ContactInfo> IKademliaRequestHandler.HandleFindNode(RequestSender sender, NodeId target)
    {
        NoteRequester(sender);
        return ClosestInfos(target, sender.Id);
    }

    FindValueResponse IKademliaRequestHandler.HandleFindValue(RequestSender sender, NodeId key)
    {
        NoteRequester(sender);
        var peers = PeerStore.GetPeers(key)
            .Take(_options.MaxPeersPerResponse)
            .Select(peer => peer.Value)
            .ToArray();
        return new FindValueResponse(Id, peers, ClosestInfos(key, sender.Id), Tokens.CreateToken(sender.EndPoint.Address));
    }

    bool IKademliaRequestHandler.HandleStore(RequestSender sender, NodeId key, ReadOnlySpan<byte> token, ReadOnlySpan<byte> peerValue)
    {
        NoteRequester(sender);
        return key.Length == Id.Length
            && Tokens.Verify(token, sender.EndPoint.Address)
            && PeerStore.Store(key, peerValue, sender.Id);
    }

    void ILookupObserver.OnResponded(NodeId id, IPEndPoint endPoint) => AddResponder(id, endPoint);

    void ILookupObserver.OnFailed(IPEndPoint endPoint) => RecordFailure(endPoint);

    bool ILookupObserver.IsKnownBad(IPEndPoint endPoint) => RoutingTable.IsKnownBad(endPoint);

    private ContactInfo[] ClosestInfos(NodeId target, NodeId requester) =>
        target.Length != Id.Length
            ? []
            : RoutingTable.Closest(target, _options.BucketSize, requester).Select(contact => contact.Info).ToArray();

    private IEnumerable<ContactInfo> SeedsFor(NodeId target) =>
        RoutingTable.Closest(target, _options.BucketSize).Select(contact => contact.Info);

    private IPEndPoint[] BootstrapIfTableEmpty() => RoutingTable.Count == 0 ? _bootstrapEndPoints : [];

    private void AddResponder(NodeId id, IPEndPoint endPoint)
    {
        _recentReplies.Record(endPoint, _timeProvider.GetUtcNow());
        var result = RoutingTable.RecordReply(id, endPoint);
        OfferEvictionIfFull(result);
    }

    private void OfferEvictionIfFull(AddContactResult result)
    {
        if (result is { Outcome: AddContactOutcome.BucketFull, PingCandidate: { } candidate })
        {
            _ = ReplaceIfSilentAsync(candidate, result.Contact);
        }
    }

    private void RecordFailure(IPEndPoint endPoint)
    {
        var contact = RoutingTable.RecordFailure(endPoint);
        if (contact is null || RoutingTable.GetLiveness(contact) != ContactLiveness.Bad)
        {
            return;
        }

        RoutingTable.Remove(contact);
        if (RoutingTable.Count == 0 && _bootstrapEndPoints.Length != 0 && Interlocked.Exchange(ref _rejoining, 1) == 0)
        {
            _ = RejoinAsync();
        }
    }

    /// <summary>
    /// Requesters are answered but join the table only once they answer a ping of ours (spec 1.6), or at once
    /// when <see cref="KademliaNodeOptions.RequesterPingBackDelay"/> is zero. Read-only requesters never join.
    /// </summary>
    private void NoteRequester(RequestSender sender)
    {
        if (sender.ReadOnly || sender.Id.Equals(Id) || sender.Id.Length != Id.Length)
        {
            return;
        }

        if (RoutingTable.FindById(sender.Id) is { } known && known.EndPoint.Equals(sender.EndPoint))
        {
            return;
        }

        var repliedAt = _recentReplies.LastReplyWithinWindow(sender.EndPoint, _timeProvider.GetUtcNow());
        if (repliedAt is not null || _options.RequesterPingBackDelay == TimeSpan.Zero)
        {
            // Known good (it answered us recently), or a network that trusts requesters: no ping-back.
            var contact = new Contact(sender.Id, sender.EndPoint);
            if (repliedAt is { } at)
            {
                contact.RecordReply(at);
            }

            OfferEvictionIfFull(RoutingTable.AddOrUpdate(contact));
            return;
        }

        if (TryReservePing(sender.EndPoint))
        {
            // One pending ping per contact (the reservation), sent at once while our table is nearly empty.
            var delay = RoutingTable.Count < _options.ImmediatePingBackBelow ? TimeSpan.Zero : _options.RequesterPingBackDelay;
            _ = PingBackLaterAsync(sender.EndPoint, delay);
        }
    }

    private async Task PingBackLaterAsync(IPEndPoint endPoint, TimeSpan delay)
    {
        try
        {
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, _timeProvider, _stopping);
            }

            await PingAsync(endPoint, _stopping);
        }
        catch (OperationCanceledException)
        {
            // The node is shutting down.
        }
        finally
        {
            ReleasePing(endPoint);
        }
    }

    /// <summary>Pings the eviction candidate of a full bucket and gives its place to the newcomer if it is silent.</summary>
    private async Task ReplaceIfSilentAsync(Contact candidate, Contact newcomer)
    {
        if (!TryReservePing(candidate.EndPoint))
        {
            return;
        }

        try
        {
            Interlocked.Increment(ref _directRequests);
            var answeredId = await _rpc.PingAsync(candidate.EndPoint, _stopping);
            if (answeredId is not null && answeredId.Equals(candidate.Id))
            {
                AddResponder(answeredId, candidate.EndPoint);
                return;
            }

            RoutingTable.RecordFailure(candidate.EndPoint);
            RoutingTable.Replace(candidate, newcomer);
        }
        catch (OperationCanceledException)
        {
            // The node is shutting down.
        }
        finally
        {
            ReleasePing(candidate.EndPoint);
        }
    }


    private async Task<bool> StoreAtAsync(IPEndPoint endPoint, NodeId key, ReadOnlyMemory<byte> peerValue, CancellationToken cancellationToken)
    {
        Interlocked.Add(ref _directRequests, 2);
        var tokenAnswer = await _rpc.FindValueAsync(endPoint, key, cancellationToken);
        if (tokenAnswer is null || tokenAnswer.Token.IsEmpty)
        {
            return false;
        }

        return await _rpc.StoreAsync(endPoint, key, tokenAnswer.Token, peerValue, cancellationToken);
    }

    // A partition removes every contact of the other side (one silence after a reply makes a contact bad), and
    // nothing in this half would ever lead back to them: while the table is small, look up our own id through the
    // configured bootstrap nodes again, so a healed network joins up within one interval.
    private void RejoinIfTableSmall()
    {
        if (RoutingTable.Count < _options.SmallTableBelow && _bootstrapEndPoints.Length != 0 && !_stopping.IsCancellationRequested
            && Interlocked.Exchange(ref _rejoining, 1) == 0)
        {
            _ = RejoinAsync();
        }
    }

    private async Task RejoinAsync()
    {
        try
        {
            await JoinAsync(_bootstrapEndPoints, _stopping);
        }
        catch (OperationCanceledException)
        {
            // The node is shutting down.
        }
        finally
        {
            Interlocked.Exchange(ref _rejoining, 0);
        }
    }

    private async Task RefreshInBackgroundAsync()
    {
        try
        {
            await RefreshAsync(_stopping);
        }
        catch (OperationCanceledException)
        {
            // The node is shutting down.
        }
    }

    private bool TryReservePing(IPEndPoint endPoint)
    {
        lock (_gate)
        {
            return _pendingPings.Count < _options.MaxPendingPings && _pendingPings.Add(endPoint);
        }
    }

    private void ReleasePing(IPEndPoint endPoint)
    {
        lock (_gate)
        {
            _pendingPings.Remove(endPoint);
        }
    }
}
