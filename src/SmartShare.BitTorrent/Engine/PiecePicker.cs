using SmartShare.BitTorrent.Metainfo;

namespace SmartShare.BitTorrent.Engine;

/// <summary>
/// Decides which blocks to ask which peer for. Pieces are chosen rarest first (fewest peers have them), scanning from
/// a random start so that downloaders of one swarm spread over different pieces; pieces already started are finished
/// first so few piece buffers are open at once. Streaming windows and sequential mode take pieces in index order
/// instead. When every missing block is already asked of someone, endgame mode asks a second peer for blocks still in
/// flight. Every piece has a priority (<see cref="PiecePriorities"/>: the highest of the files it overlaps); pieces
/// of priority 0 (only unwanted files) are never started, and new pieces come from the highest band a peer can give,
/// rarest first (or in order when sequential) inside it. Not thread-safe: the session calls it under its lock.
/// </summary>
public sealed class PiecePicker
{
    private readonly TorrentInfo _info;
    private readonly int[] _availability;
    private readonly Dictionary<int, PartialPiece> _partial = [];
    private readonly HashSet<int> _verifying = [];
    private readonly List<(int First, int Last)> _windows = [];
    private readonly int _randomStart;
    private byte[] _priority;
    private int _wantedMissing;
    private long _partialBytes;

    public PiecePicker(TorrentInfo info, Bitfield have, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(have);
        ArgumentNullException.ThrowIfNull(random);
        if (have.Length != info.PieceCount)
        {
            throw new ArgumentException("The bitfield does not match the torrent's piece count.", nameof(have));
        }

        _info = info;
        Have = have;
        _availability = new int[info.PieceCount];
        _priority = new byte[info.PieceCount];
        Array.Fill(_priority, (byte)TorrentFilePriority.Normal);
        _wantedMissing = info.PieceCount - have.Count;
        Span<byte> seed = stackalloc byte[4];
        random.Fill(seed);
        _randomStart = info.PieceCount == 0 ? 0 : (int)(BitConverter.ToUInt32(seed) % (uint)info.PieceCount);
    }

    /// <summary>Pieces verified and written.</summary>
    public Bitfield Have { get; }

    /// <summary>Take pieces in index order rather than rarest first (streaming a whole torrent in order).</summary>
    public bool Sequential { get; set; }

    /// <summary>
    /// Bound on the bytes of pieces being assembled or waiting for their check, so piece buffers stay bounded (for
    /// huge pieces, or a disk slower than the network).
    /// </summary>
    public long MaxPartialBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Endgame duplicates: how many peers at most are asked for one block.</summary>
    public int MaxRequestsPerBlock { get; set; } = 2;

    public int PartialCount => _partial.Count;

    /// <summary>Whether every missing block is already requested from someone (endgame).</summary>
    public bool InEndgame { get; private set; }

    public int Availability(int piece) => _availability[piece];

    /// <summary>Whether every piece of a wanted file is verified (the download is done for the user, maybe not whole).</summary>
    public bool IsDone => _wantedMissing == 0;

    /// <summary>Wanted pieces not yet verified.</summary>
    public int WantedMissing => _wantedMissing;

    /// <summary>A piece's priority: 0 off (never requested) to <see cref="PiecePriorities.Preview"/>.</summary>
    public byte PriorityOf(int piece) => _priority[piece];

    /// <summary>Whether the piece overlaps a wanted file.</summary>
    public bool IsWanted(int piece) => _priority[piece] != 0;

    /// <summary>
    /// New piece priorities (one per piece; see <see cref="PiecePriorities.Compute"/>). Pieces already being
    /// assembled are finished whatever their new priority; no new piece of priority 0 is started.
    /// </summary>
    public void SetPriorities(byte[] priorities)
    {
        ArgumentNullException.ThrowIfNull(priorities);
        if (priorities.Length != _info.PieceCount)
        {
            throw new ArgumentException("The priorities do not match the torrent's piece count.", nameof(priorities));
        }

        _priority = (byte[])priorities.Clone();
        _wantedMissing = 0;
        for (var i = 0; i < _priority.Length; i++)
        {
            if (_priority[i] != 0 && !Have[i])
            {
                _wantedMissing++;
            }
        }

        InEndgame = false;
    }

    /// <summary>A peer announced its pieces (bitfield or have-all).</summary>
    public void AddPeer(Bitfield peerHas)
    {
        ArgumentNullException.ThrowIfNull(peerHas);
        foreach (var index in peerHas.SetIndexes())
        {
            _availability[index]++;
        }
    }

    public void AddPeerPiece(int piece) => _availability[piece]++;

    public void RemovePeer(Bitfield peerHas)
    {
        ArgumentNullException.ThrowIfNull(peerHas);
        foreach (var index in peerHas.SetIndexes())
        {
            _availability[index] = Math.Max(0, _availability[index] - 1);
        }
    }

    /// <summary>Pieces in [first, last] go before all others, in index order (a streaming read).</summary>
    public void AddWindow(int first, int last)
    {
        first = Math.Clamp(first, 0, Math.Max(0, _info.PieceCount - 1));
        last = Math.Clamp(last, first, Math.Max(0, _info.PieceCount - 1));
        _windows.Add((first, last));
        if (_windows.Count > 8)
        {
            _windows.RemoveAt(0);
        }
    }

    public void ClearWindows() => _windows.Clear();

    /// <summary>
    /// Chooses up to <paramref name="max"/> blocks to request from a peer that has <paramref name="peerHas"/> and has
    /// none of <paramref name="alreadyAsked"/> outstanding twice, and records them as requested.
    /// </summary>
    public int Pick(Bitfield peerHas, int max, ISet<long> alreadyAsked, List<BlockRequest> into)
    {
        ArgumentNullException.ThrowIfNull(peerHas);
        ArgumentNullException.ThrowIfNull(alreadyAsked);
        ArgumentNullException.ThrowIfNull(into);
        var picked = 0;

        // 1. Streaming windows, in order: they may start new pieces even past the partial-bytes bound.
        foreach (var (first, last) in _windows)
        {
            for (var piece = first; piece <= last && picked < max; piece++)
            {
                if (!Have[piece] && peerHas[piece] && !_verifying.Contains(piece))
                {
                    picked += TakeOpenBlocks(GetOrStart(piece), max - picked, alreadyAsked, into);
                }
            }
        }

        // 2. Finish pieces already started.
        if (picked < max)
        {
            foreach (var partial in _partial.Values)
            {
                if (picked >= max)
                {
                    break;
                }

                if (peerHas[partial.Index])
                {
                    picked += TakeOpenBlocks(partial, max - picked, alreadyAsked, into);
                }
            }
        }

        // 3. Start new pieces: in order when sequential, else rarest first from the random start.
        while (picked < max && _partialBytes < MaxPartialBytes)
        {
            var piece = Sequential ? NextInOrder(peerHas) : NextRarest(peerHas);
            if (piece < 0)
            {
                break;
            }

            picked += TakeOpenBlocks(GetOrStart(piece), max - picked, alreadyAsked, into);
        }

        // 4. Endgame: nothing left to start for this peer; ask it for blocks others are fetching.
        if (picked < max && !HasUnstartedPiece())
        {
            var anyOpen = false;
            foreach (var partial in _partial.Values)
            {
                if (partial.OpenBlocks > 0)
                {
                    anyOpen = true;
                    break;
                }
            }

            InEndgame = !anyOpen;
            if (InEndgame)
            {
                // Blocks picked by this very call are not in alreadyAsked yet: never ask the same peer twice.
                if (picked > 0)
                {
                    var asked = new HashSet<long>(alreadyAsked);
                    for (var i = into.Count - picked; i < into.Count; i++)
                    {
                        asked.Add(into[i].Key);
                    }

                    alreadyAsked = asked;
                }

                foreach (var partial in _partial.Values)
                {
                    if (picked >= max)
                    {
                        break;
                    }

                    if (peerHas[partial.Index])
                    {
                        picked += TakeDuplicateBlocks(partial, max - picked, alreadyAsked, into);
                    }
                }
            }
        }

        return picked;
    }

    /// <summary>A request was given back (choke, reject, disconnect, timeout) without data.</summary>
    public void Unrequest(BlockRequest block)
    {
        if (_partial.TryGetValue(block.Index, out var partial))
        {
            partial.Unrequest(block.Begin / BlockRequest.BlockSize);
        }
    }

    /// <summary>
    /// A block arrived. Returns the piece to copy it into, or null when it is not wanted (not requested, already
    /// received or being written by another peer's copy). The caller copies and then calls <see cref="BlockWritten"/>.
    /// </summary>
    public PartialPiece? BeginBlock(int index, int begin, int length)
    {
        if (!_partial.TryGetValue(index, out var partial) || begin % BlockRequest.BlockSize != 0)
        {
            return null;
        }

        var block = begin / BlockRequest.BlockSize;
        if (block >= partial.BlockCount || partial.BlockLength(block) != length)
        {
            return null;
        }

        return partial.TryBeginWrite(block) ? partial : null;
    }

    /// <summary>The copy of a block finished. True when it completed its piece, which then leaves the picker's partial set.</summary>
    public bool BlockWritten(PartialPiece partial, int begin, object contributor)
    {
        ArgumentNullException.ThrowIfNull(partial);
        partial.EndWrite(begin / BlockRequest.BlockSize, contributor);
        if (!partial.IsComplete)
        {
            return false;
        }

        // Its bytes stay counted until the check is done: a slow disk must not let verified-but-unwritten pieces pile up.
        _partial.Remove(partial.Index);
        _verifying.Add(partial.Index);
        return true;
    }

    /// <summary>The block copy failed (the connection broke mid-copy): it is open again.</summary>
    public void AbortBlock(PartialPiece partial, int begin)
    {
        ArgumentNullException.ThrowIfNull(partial);
        if (_partial.TryGetValue(partial.Index, out var current) && ReferenceEquals(current, partial))
        {
            partial.AbortWrite(begin / BlockRequest.BlockSize);
        }
    }

    /// <summary>A piece passed its hash check and is written.</summary>
    public void PieceVerified(int piece)
    {
        if (_verifying.Remove(piece))
        {
            _partialBytes -= _info.GetPieceSize(piece);
        }

        if (!Have[piece] && _priority[piece] != 0)
        {
            _wantedMissing--;
        }

        Have[piece] = true;
        InEndgame = InEndgame && !IsDone;
    }

    /// <summary>A completed piece failed its hash check (or could not be written): it will be fetched again.</summary>
    public void PieceFailed(int piece)
    {
        if (_verifying.Remove(piece))
        {
            _partialBytes -= _info.GetPieceSize(piece);
        }
    }

    /// <summary>A piece recorded as had no longer matches on disk: fetch it again.</summary>
    public void PieceLost(int piece)
    {
        if (Have[piece] && _priority[piece] != 0)
        {
            _wantedMissing++;
        }

        Have[piece] = false;
    }

    /// <summary>Pieces that peer has and we do not: whether we are interested.</summary>
    public bool Wants(Bitfield peerHas)
    {
        ArgumentNullException.ThrowIfNull(peerHas);
        if (peerHas.IsComplete)
        {
            return _wantedMissing > 0;
        }

        for (var i = 0; i < peerHas.Length; i++)
        {
            if (peerHas[i] && !Have[i] && _priority[i] != 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Forget a piece being assembled (e.g. a failed hash check already handled by the caller).</summary>
    public void Drop(int piece)
    {
        if (_partial.Remove(piece, out var partial))
        {
            _partialBytes -= partial.Size;
            partial.ReleaseBuffer();
        }
    }

    /// <summary>Releases every piece buffer (the session is closing).</summary>
    public void ReleaseAll()
    {
        foreach (var partial in _partial.Values)
        {
            partial.ReleaseBuffer();
        }

        _partial.Clear();
        _partialBytes = 0;
    }

    private PartialPiece GetOrStart(int piece)
    {
        if (!_partial.TryGetValue(piece, out var partial))
        {
            partial = new PartialPiece(piece, _info.GetPieceSize(piece));
            _partial.Add(piece, partial);
            _partialBytes += partial.Size;
        }

        return partial;
    }

    private bool HasUnstartedPiece()
    {
        for (var i = 0; i < Have.Length; i++)
        {
            if (!Have[i] && _priority[i] != 0 && !_partial.ContainsKey(i) && !_verifying.Contains(i))
            {
                return true;
            }
        }

        return false;
    }

    // The first startable piece of the highest band this peer can give.
    private int NextInOrder(Bitfield peerHas)
    {
        var best = -1;
        var bestPriority = 0;
        for (var i = 0; i < Have.Length; i++)
        {
            if (_priority[i] > bestPriority && !Have[i] && peerHas[i] && !_partial.ContainsKey(i) && !_verifying.Contains(i))
            {
                best = i;
                bestPriority = _priority[i];
                if (bestPriority == PiecePriorities.Preview)
                {
                    break;
                }
            }
        }

        return best;
    }

    private int NextRarest(Bitfield peerHas)
    {
        var count = Have.Length;
        var best = -1;
        var bestPriority = 0;
        var bestAvailability = int.MaxValue;
        for (var n = 0; n < count; n++)
        {
            var i = _randomStart + n;
            if (i >= count)
            {
                i -= count;
            }

            var priority = _priority[i];
            if (priority < bestPriority || priority == 0 || Have[i] || !peerHas[i] || _partial.ContainsKey(i) || _verifying.Contains(i))
            {
                continue;
            }

            // A higher band beats any availability; inside a band, the rarest.
            var availability = _availability[i];
            if (priority > bestPriority || availability < bestAvailability)
            {
                best = i;
                bestPriority = priority;
                bestAvailability = availability;
                if (availability <= 1 && priority == PiecePriorities.Preview)
                {
                    break;
                }
            }
        }

        return best;
    }

    private static int TakeOpenBlocks(PartialPiece partial, int max, ISet<long> alreadyAsked, List<BlockRequest> into)
    {
        var taken = 0;
        for (var block = 0; block < partial.BlockCount && taken < max && partial.OpenBlocks > 0; block++)
        {
            var request = partial.Request(block);
            if (partial.State(block) == BlockState.Open && !alreadyAsked.Contains(request.Key))
            {
                partial.MarkRequested(block);
                into.Add(request);
                taken++;
            }
        }

        return taken;
    }

    private int TakeDuplicateBlocks(PartialPiece partial, int max, ISet<long> alreadyAsked, List<BlockRequest> into)
    {
        var taken = 0;
        for (var block = 0; block < partial.BlockCount && taken < max; block++)
        {
            var request = partial.Request(block);
            if (partial.State(block) == BlockState.Requested
                && partial.Requesters(block) < MaxRequestsPerBlock
                && !alreadyAsked.Contains(request.Key))
            {
                partial.MarkRequested(block);
                into.Add(request);
                taken++;
            }
        }

        return taken;
    }
}
