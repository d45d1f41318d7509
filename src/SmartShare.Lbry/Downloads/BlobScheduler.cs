using System.Net;
using SmartShare.Lbry.BlobExchange;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Streams;

namespace SmartShare.Lbry.Downloads;

/// <summary>
/// Decides which peer gets a connection and which blob each connection asks for next. Blobs go out lowest
/// first (the file is written in order; the last blob second, for the stream's length), priority ranges from a streaming reader jump the queue, a blob that
/// is slow at one peer is asked of a second, and at the end every remaining blob may go to two peers. Until the first
/// blob arrives only it and the last are asked for (<see cref="StreamDownloadOptions.StartRequests"/>). Peers
/// that fail are banned for min(30 s, failures²) and dropped after too many failures or any bad data; a peer dropped
/// only for silence is tried again when it is named again or no other peer is left (a partition heals).
/// Thread-safe: every member takes one lock; each call is short.
/// </summary>
internal sealed partial class BlobScheduler
{
    private const int MaxDescriptorRequests = 4;
    private const int MaxRequestsPerBlob = 2;
    private static readonly TimeSpan MaxBan = TimeSpan.FromSeconds(30);

    private readonly object _gate = new();
    private readonly Dictionary<IPEndPoint, DownloadPeer> _peers = [];
    private readonly List<InFlight> _inFlight = [];
    private readonly SortedSet<int> _priority = [];
    private readonly BlobHash _sdHash;
    private readonly StreamDownloadOptions _options;
    private StreamBlobInfo[]? _blobs;
    private bool[] _have = [];
    private bool _haveDescriptor;
    private int _lowestMissing;
    private int _horizon = int.MaxValue;
    private long _heldBack;
    private int _blobsHave;
    private int _startLowest = -1;
    private int _startArrived;
    private DateTimeOffset? _startPickedAt;
    private long _startGated;
    private long _bytesHave;
    private long _bytesTotal;

    public BlobScheduler(BlobHash sdHash, StreamDownloadOptions options)
    {
        _sdHash = sdHash;
        _options = options;
    }

    public bool HasDescriptor
    {
        get
        {
            lock (_gate)
            {
                return _haveDescriptor;
            }
        }
    }

    public bool IsComplete
    {
        get
        {
            lock (_gate)
            {
                return _haveDescriptor && _blobsHave == _have.Length;
            }
        }
    }

    /// <summary>Counts for progress: blobs and encrypted bytes held, and the totals.</summary>
    public (int BlobsHave, int BlobsTotal, long BytesHave, long BytesTotal) Counts()
    {
        lock (_gate)
        {
            return (_blobsHave, _have.Length, _bytesHave, _bytesTotal);
        }
    }

    /// <summary>Peers not dropped, and those with a connection open.</summary>
    public (int Known, int Active) PeerCounts()
    {
        lock (_gate)
        {
            var known = 0;
            var active = 0;
            foreach (var peer in _peers.Values)
            {
                known += peer.Dropped ? 0 : 1;
                active += peer.Connections > 0 ? 1 : 0;
            }

            return (known, active);
        }
    }

    /// <summary>Every peer not dropped: its address and how many connections the download has open to it.</summary>
    public IReadOnlyList<StreamPeerInfo> Peers()
    {
        lock (_gate)
        {
            return [.. _peers.Values.Where(peer => !peer.Dropped).Select(peer => new StreamPeerInfo(peer.EndPoint, peer.Connections, peer.Failures))];
        }
    }

    /// <summary>Why peers failed, newest state per peer, for the error a stalled download reports.</summary>
    public IReadOnlyList<string> PeerErrors()
    {
        lock (_gate)
        {
            return _peers.Values.Where(peer => peer.LastError is not null).Select(peer => peer.LastError!).ToList();
        }
    }

    public int PeerCount
    {
        get
        {
            lock (_gate)
            {
                return _peers.Count;
            }
        }
    }

    /// <summary>Adds a peer, or forgets what a known one lacked (it may have fetched more since). Returns true if new.</summary>
    public bool AddPeer(IPEndPoint endPoint)
    {
        lock (_gate)
        {
            if (_peers.TryGetValue(endPoint, out var known))
            {
                known.Lacks.Clear();
                Revive(known);
                return false;
            }

            _peers.Add(endPoint, new DownloadPeer(endPoint));
            return true;
        }
    }

    /// <summary>Switches from fetching the sd blob to its data blobs; <paramref name="have"/> marks blobs already stored.</summary>
    public void SetDescriptor(StreamDescriptor descriptor, Func<StreamBlobInfo, bool> have)
    {
        lock (_gate)
        {
            if (_haveDescriptor)
            {
                return;
            }

            _blobs = [.. descriptor.DataBlobs];
            _have = new bool[_blobs.Length];
            _bytesTotal = 0;
            for (var i = 0; i < _blobs.Length; i++)
            {
                _bytesTotal += _blobs[i].Length;
                if (have(_blobs[i]))
                {
                    _have[i] = true;
                    _blobsHave++;
                    _bytesHave += _blobs[i].Length;
                }
            }

            _haveDescriptor = true;
            _inFlight.RemoveAll(request => request.Job.IsDescriptor);
            AdvanceLowestMissing();
            _startLowest = _lowestMissing;
        }
    }

    public bool IsHave(int index)
    {
        lock (_gate)
        {
            return _have[index];
        }
    }

    /// <summary>Asks for blobs first..last before any other (a streaming reader is waiting on them).</summary>
    public void Prioritize(int first, int last)
    {
        lock (_gate)
        {
            for (var i = Math.Max(first, 0); i <= last && i < _have.Length; i++)
            {
                if (!_have[i])
                {
                    _priority.Add(i);
                }
            }
        }
    }

    /// <summary>
    /// Takes a connection slot at the usable peer with the fewest connections that has blobs this download
    /// still needs, or returns null when there is none right now.
    /// </summary>
    public DownloadPeer? AcquirePeer(DateTimeOffset now)
    {
        lock (_gate)
        {
            ReviveUnreachableWhenNoneLeft(now);
            DownloadPeer? best = null;
            foreach (var peer in _peers.Values)
            {
                if (!peer.IsUsable(now, _options.MaxConnectionsPerPeer) || PickIndex(peer, now, out _, out _) is null)
                {
                    continue;
                }

                if (best is null || (peer.Connections, peer.Failures).CompareTo((best.Connections, best.Failures)) < 0)
                {
                    best = peer;
                }
            }

            if (best is not null)
            {
                best.Connections++;
            }

            return best;
        }
    }

    public void ReleasePeer(DownloadPeer peer)
    {
        lock (_gate)
        {
            peer.Connections--;
        }
    }

    /// <summary>When the earliest ban ends, so an idle worker knows how long to wait.</summary>
    public DateTimeOffset? NextBanExpiry(DateTimeOffset now)
    {
        lock (_gate)
        {
            DateTimeOffset? next = null;
            foreach (var peer in _peers.Values)
            {
                if (!peer.Dropped && peer.BannedUntil > now && (next is null || peer.BannedUntil < next))
                {
                    next = peer.BannedUntil;
                }
            }

            return next;
        }
    }

    /// <summary>
    /// Keeps in-order requests below <paramref name="horizon"/> (the end of the in-order writer's window), so blobs
    /// arrive where the writer takes them from memory rather than ahead of it, where they would have to be stored.
    /// Blobs a reader waits for and the stream's last blob are not held back.
    /// </summary>
    public void SetHorizon(int horizon)
    {
        lock (_gate)
        {
            _horizon = horizon;
        }
    }

    /// <summary>How many times a connection was told to wait for the writer's window (tests).</summary>
    internal long HeldBackPicks => Interlocked.Read(ref _heldBack);

    /// <summary>How many times a connection was told to wait for the start's first blob (tests).</summary>
    internal long StartGatedPicks => Interlocked.Read(ref _startGated);

    /// <summary>The next blob to ask <paramref name="peer"/> for on an open connection, or null if it has none for it.</summary>
    public BlobJob? Pick(DownloadPeer peer, DateTimeOffset now) => Pick(peer, now, out _);

    /// <summary>
    /// The next blob to ask <paramref name="peer"/> for, or null: then <paramref name="heldBack"/> says whether it has
    /// blobs for the peer that only the horizon holds back (the connection waits for the writer rather than closing).
    /// </summary>
    public BlobJob? Pick(DownloadPeer peer, DateTimeOffset now, out bool heldBack)
    {
        lock (_gate)
        {
            heldBack = false;
            if (peer.Dropped)
            {
                return null;
            }

            var index = PickIndex(peer, now, out heldBack, out var startGated);
            if (startGated)
            {
                _startGated++;
            }
            else if (heldBack)
            {
                _heldBack++;
            }
            if (index is null)
            {
                return null;
            }

            var job = index == DownloadPeer.DescriptorIndex
                ? new BlobJob(DownloadPeer.DescriptorIndex, _sdHash, null)
                : new BlobJob(index.Value, _blobs![index.Value].BlobHash!.Value, _blobs[index.Value].Length);
            _inFlight.Add(new InFlight(job, peer, now));
            if (!job.IsDescriptor)
            {
                _startPickedAt ??= now;
            }

            return job;
        }
    }

    /// <summary>Records a verified blob. Returns false if another peer delivered it first.</summary>
    public bool Completed(BlobJob job, DownloadPeer peer)
    {
        lock (_gate)
        {
            RemoveInFlight(job, peer);
            peer.Failures = 0;
            if (job.IsDescriptor || _have[job.Index])
            {
                return false;
            }

            _have[job.Index] = true;
            _startArrived++;
            _blobsHave++;
            _bytesHave += _blobs![job.Index].Length;
            _priority.Remove(job.Index);
            AdvanceLowestMissing();
            return true;
        }
    }

    /// <summary>The peer answered that it does not have the blob; ask it for others.</summary>
    public void NotAvailable(BlobJob job, DownloadPeer peer)
    {
        lock (_gate)
        {
            RemoveInFlight(job, peer);
            peer.Lacks.Add(job.Index);
        }
    }

    /// <summary>
    /// The request failed: the peer is banned for a while, and dropped after too many failures or at once for
    /// bad data (a blob that does not hash right or a broken protocol).
    /// </summary>
    public void Failed(BlobJob? job, DownloadPeer peer, BlobExchangeFailure failure, string message, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (job is not null)
            {
                RemoveInFlight(job, peer);
            }

            peer.Failures++;
            peer.LastError = message;
            var seconds = Math.Min(MaxBan.TotalSeconds, (double)peer.Failures * peer.Failures);
            peer.BannedUntil = now + TimeSpan.FromSeconds(seconds);
            if (failure is BlobExchangeFailure.CorruptBlob or BlobExchangeFailure.ProtocolViolation)
            {
                peer.Dropped = true;
                peer.Unreachable = false;
            }
            else if (peer.Failures >= _options.MaxPeerFailures && !peer.Dropped)
            {
                peer.Dropped = true;
                peer.Unreachable = true;
            }
        }
    }

    // A peer dropped for silence gets one more chance (the next failure drops it again, banned as long as before),
    // so a partition that heals finds the download asking again within one ban rather than never.
    private void Revive(DownloadPeer peer)
    {
        if (peer is { Dropped: true, Unreachable: true })
        {
            peer.Dropped = false;
            peer.Unreachable = false;
            peer.Failures = Math.Max(0, _options.MaxPeerFailures - 1);
        }
    }

    // With every peer dropped the download could only wait for its stall timeout; those dropped for silence are
    // tried again once their ban (at most MaxBan) has passed: a bounded retry of the only seeder(s) it has.
    private void ReviveUnreachableWhenNoneLeft(DateTimeOffset now)
    {
        foreach (var peer in _peers.Values)
        {
            if (!peer.Dropped)
            {
                return;
            }
        }

        foreach (var peer in _peers.Values)
        {
            if (peer.Unreachable && peer.BannedUntil <= now)
            {
                Revive(peer);
            }
        }
    }

    private void RemoveInFlight(BlobJob job, DownloadPeer peer)
    {
        var at = _inFlight.FindIndex(request => request.Job == job && request.Peer == peer);
        if (at >= 0)
        {
            _inFlight.RemoveAt(at);
        }
    }

    private void AdvanceLowestMissing()
    {
        while (_lowestMissing < _have.Length && _have[_lowestMissing])
        {
            _lowestMissing++;
        }
    }

    private sealed record InFlight(BlobJob Job, DownloadPeer Peer, DateTimeOffset Started);
}
