using System.Net;
using SmartShare.Kademlia.Networking;

namespace SmartShare.Kademlia.Lookups;

/// <summary>
/// Kademlia's iterative node and value lookups (LBRY spec 1.8): α requests in flight to the closest contacts
/// not yet asked among the first K (+ in flight), until nothing is in flight and nothing is left to ask.
/// </summary>
public sealed class IterativeLookup
{
    private readonly IKademliaRpc _rpc;
    private readonly LookupOptions _options;
    private readonly ILookupObserver? _observer;
    private readonly NodeId? _localId;
    private long _requestsSent;

    /// <param name="rpc">Where requests go; it applies the per-request timeout.</param>
    /// <param name="options">K, α and the request cap.</param>
    /// <param name="observer">Told about responders and failures; asked which contacts are known bad.</param>
    /// <param name="localId">Our own id, never queried and never accepted as a responder.</param>
    public IterativeLookup(IKademliaRpc rpc, LookupOptions? options = null, ILookupObserver? observer = null, NodeId? localId = null)
    {
        ArgumentNullException.ThrowIfNull(rpc);
        _rpc = rpc;
        _options = options ?? new LookupOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.BucketSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.Parallelism, 1);
        _observer = observer;
        _localId = localId;
    }

    /// <summary>All requests sent by lookups of this instance so far.</summary>
    public long RequestsSent => Interlocked.Read(ref _requestsSent);

    /// <summary>
    /// Finds the nodes closest to <paramref name="target"/>: those that answered, nearest first, at most
    /// <paramref name="maxResults"/>. Ends early when the target itself shows up.
    /// </summary>
    public async Task<NodeLookupResult> FindNodeAsync(
        NodeId target,
        IEnumerable<ContactInfo> seeds,
        IEnumerable<IPEndPoint> bootstrapEndPoints,
        int maxResults,
        CancellationToken cancellationToken)
    {
        var run = new LookupRun(this, target, valueLookup: false, stopAfterPeers: int.MaxValue, seeds, bootstrapEndPoints);
        await run.RunAsync(cancellationToken);
        return new NodeLookupResult(run.Responders(maxResults), run.RequestsSent, run.TargetFound);
    }

    /// <summary>
    /// Collects the peers stored under <paramref name="key"/> from every node the lookup reaches; stops once
    /// <paramref name="stopAfterPeers"/> distinct peers are known. <paramref name="onNewPeers"/> hears each
    /// answer's peers not seen before in this lookup, as the answer arrives.
    /// </summary>
    public async Task<ValueLookupResult> FindValueAsync(
        NodeId key,
        IEnumerable<ContactInfo> seeds,
        IEnumerable<IPEndPoint> bootstrapEndPoints,
        int stopAfterPeers,
        CancellationToken cancellationToken,
        Action<IReadOnlyList<ReadOnlyMemory<byte>>>? onNewPeers = null)
    {
        var run = new LookupRun(this, key, valueLookup: true, stopAfterPeers, seeds, bootstrapEndPoints) { OnNewPeers = onNewPeers };
        await run.RunAsync(cancellationToken);
        return new ValueLookupResult(run.Peers, run.Responders(_options.BucketSize), run.RequestsSent);
    }

    /// <summary>The state of one lookup; lives only while the lookup runs, on one logical thread.</summary>
    private sealed class LookupRun
    {
        private readonly IterativeLookup _owner;
        private readonly NodeId _target;
        private readonly bool _valueLookup;
        private readonly int _stopAfterPeers;
        private readonly List<LookupCandidate> _shortlist = [];
        private readonly Queue<LookupCandidate> _unknownIds = new();
        private readonly HashSet<IPEndPoint> _seenEndPoints = [];
        private readonly HashSet<NodeId> _seenIds = [];
        private readonly HashSet<ReadOnlyMemory<byte>> _peerSet = new(ByteSequenceComparer.Instance);
        private readonly List<ReadOnlyMemory<byte>> _peers = [];
        private bool _finished;

        public LookupRun(
            IterativeLookup owner,
            NodeId target,
            bool valueLookup,
            int stopAfterPeers,
            IEnumerable<ContactInfo> seeds,
            IEnumerable<IPEndPoint> bootstrapEndPoints)
        {
            ArgumentNullException.ThrowIfNull(target);
            ArgumentNullException.ThrowIfNull(seeds);
            ArgumentNullException.ThrowIfNull(bootstrapEndPoints);
            _owner = owner;
            _target = target;
            _valueLookup = valueLookup;
            _stopAfterPeers = stopAfterPeers;
            foreach (var seed in seeds)
            {
                AddCandidate(seed.Id, seed.EndPoint);
            }

            foreach (var endPoint in bootstrapEndPoints)
            {
                // Bootstrap addresses have no known id; they are asked first, before any distance ordering.
                if (_seenEndPoints.Add(endPoint))
                {
                    _unknownIds.Enqueue(new LookupCandidate(null, endPoint));
                }
            }
        }

        public int RequestsSent { get; private set; }

        public Action<IReadOnlyList<ReadOnlyMemory<byte>>>? OnNewPeers { get; init; }

        public bool TargetFound { get; private set; }

        public IReadOnlyList<ReadOnlyMemory<byte>> Peers => _peers;

        public ContactInfo[] Responders(int maxResults) => _shortlist
            .Where(candidate => candidate.State == LookupCandidateState.Responded)
            .Take(Math.Max(0, maxResults))
            .Select(candidate => new ContactInfo(candidate.Id!, candidate.EndPoint))
            .ToArray();

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            using var inFlightCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var inFlight = new List<Task<(LookupCandidate Candidate, object? Response)>>(_owner._options.Parallelism);
            try
            {
                while (true)
                {
                    while (!_finished
                        && inFlight.Count < _owner._options.Parallelism
                        && RequestsSent < _owner._options.MaxRequests
                        && TryPickNext(inFlight.Count, out var next))
                    {
                        next.State = LookupCandidateState.InFlight;
                        RequestsSent++;
                        Interlocked.Increment(ref _owner._requestsSent);
                        inFlight.Add(QueryAsync(next, inFlightCancellation.Token));
                    }

                    if (inFlight.Count == 0)
                    {
                        return;
                    }

                    var completed = await Task.WhenAny(inFlight);
                    inFlight.Remove(completed);
                    var (candidate, response) = await completed;
                    Process(candidate, response);
                    if (_finished)
                    {
                        return;
                    }
                }
            }
            finally
            {
                if (inFlight.Count != 0)
                {
                    // Requests still out after an early finish are abandoned; their answers would change nothing.
                    Abandon(inFlightCancellation);
                }
            }
        }

        /// <summary>
        /// Cancels synchronously, so the abandoned requests end on this thread (CancelAsync would hand them to the
        /// thread pool, which a single-threaded virtual-time simulation must not depend on).
        /// </summary>
        private static void Abandon(CancellationTokenSource inFlight) => inFlight.Cancel();

        private async Task<(LookupCandidate Candidate, object? Response)> QueryAsync(
            LookupCandidate candidate, CancellationToken cancellationToken)
        {
            object? response = _valueLookup
                ? await _owner._rpc.FindValueAsync(candidate.EndPoint, _target, cancellationToken)
                : await _owner._rpc.FindNodeAsync(candidate.EndPoint, _target, cancellationToken);
            return (candidate, response);
        }

        private bool TryPickNext(int inFlightCount, out LookupCandidate next)
        {
            if (_unknownIds.TryDequeue(out next!))
            {
                return true;
            }

            var considered = Math.Min(_shortlist.Count, _owner._options.BucketSize + inFlightCount);
            for (var i = 0; i < considered; i++)
            {
                if (_shortlist[i].State == LookupCandidateState.NotAsked)
                {
                    next = _shortlist[i];
                    return true;
                }
            }

            return false;
        }

        private void Process(LookupCandidate candidate, object? response)
        {
            var (responder, contacts) = response switch
            {
                FindNodeResponse nodes => (nodes.Responder, nodes.Contacts),
                FindValueResponse values => (values.Responder, values.Contacts),
                _ => (null, null),
            };

            if (responder is null || contacts is null || responder.Length != _target.Length || responder.Equals(_owner._localId))
            {
                candidate.State = LookupCandidateState.Failed;
                _shortlist.Remove(candidate);
                _owner._observer?.OnFailed(candidate.EndPoint);
                return;
            }

            candidate.State = LookupCandidateState.Responded;
            if (!responder.Equals(candidate.Id))
            {
                // A bootstrap address told us its id, or the address now hosts a different node.
                _shortlist.Remove(candidate);
                candidate.Id = responder;
                if (_seenIds.Add(responder))
                {
                    Insert(candidate);
                }
            }

            _owner._observer?.OnResponded(responder, candidate.EndPoint);
            if (response is FindValueResponse { Peers: var peers })
            {
                var before = _peers.Count;
                foreach (var peer in peers)
                {
                    if (_peerSet.Add(peer))
                    {
                        _peers.Add(peer);
                    }
                }

                if (OnNewPeers is not null && _peers.Count > before)
                {
                    OnNewPeers(_peers.GetRange(before, _peers.Count - before));
                }

                _finished |= _peers.Count >= _stopAfterPeers;
            }
            else if (responder.Equals(_target))
            {
                TargetFound = true;
                _finished = true;
            }

            foreach (var contact in contacts)
            {
                if (!_valueLookup && contact.Id.Equals(_target) && !contact.Id.Equals(_owner._localId))
                {
                    TargetFound = true;
                    _finished = true;
                }

                AddCandidate(contact.Id, contact.EndPoint);
            }
        }

        private void AddCandidate(NodeId id, IPEndPoint endPoint)
        {
            if (id.Length != _target.Length
                || id.Equals(_owner._localId)
                || _seenIds.Contains(id)
                || _seenEndPoints.Contains(endPoint)
                || _owner._observer?.IsKnownBad(endPoint) == true)
            {
                return;
            }

            _seenIds.Add(id);
            _seenEndPoints.Add(endPoint);
            Insert(new LookupCandidate(id, endPoint));
        }

        private void Insert(LookupCandidate candidate)
        {
            var low = 0;
            var high = _shortlist.Count;
            while (low < high)
            {
                var middle = (low + high) >>> 1;
                if (_target.CompareDistance(_shortlist[middle].Id!, candidate.Id!) <= 0)
                {
                    low = middle + 1;
                }
                else
                {
                    high = middle;
                }
            }

            _shortlist.Insert(low, candidate);
        }
    }
}
