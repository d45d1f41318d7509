using SmartShare.BitTorrent.PeerWire;
using SmartShare.BitTorrent.Storage;

namespace SmartShare.BitTorrent.Engine;

/// <summary>
/// What a checked piece means for the rest of the session: a verified piece is announced to the peers lacking it,
/// wakes stream readers and is recorded for resume, and the last one ends the download; a piece failing its hash
/// goes back to the picker with strikes against its senders (banned after
/// <see cref="TorrentSessionOptions.HashFailuresBeforeBan"/>); a piece lost on disk is fetched again; a write that
/// fails stops the torrent. Takes the session's lock for the picker and the peers.
/// </summary>
internal sealed class PieceOutcomes(
    Lock sessionLock,
    TorrentSessionOptions options,
    List<PeerSession> peers,
    Func<PiecePicker?> pickerUnderLock,
    ResumeRecorder resume,
    StreamWaiters streams,
    PeerDialer dialer,
    Func<int, IEnumerable<int>> files,
    Action allVerified,
    Action lostWhileComplete,
    Action<string> fail,
    Action<string> log)
{
    private readonly Lock _lock = sessionLock;
    private readonly TorrentSessionOptions _options = options;
    private readonly List<PeerSession> _peers = peers;
    private readonly ResumeRecorder _resume = resume;
    private readonly StreamWaiters _streams = streams;
    private readonly PeerDialer _dialer = dialer;
    private readonly Action _allVerified = allVerified;
    private readonly Action _lostWhileComplete = lostWhileComplete;
    private readonly Action<string> _fail = fail;

    private PiecePicker? Picker => pickerUnderLock();

    /// <summary>How many verified pieces were found damaged on disk while serving them (under the session's lock).</summary>
    public int PiecesLost { get; private set; }

    /// <summary>Why the last of them is fetched again, for the transfer's view (under the session's lock).</summary>
    public string? LostNote { get; private set; }

    /// <summary>
    /// A verified piece no longer matches on disk (damaged after it was written, or changed behind the node's back
    /// while its file kept its size and time): the stored file stamps are dropped first, then it is fetched again.
    /// </summary>
    public void PieceLost(int piece)
    {
        lock (_lock)
        {
            if (Picker is not { } known || !known.Have[piece])
            {
                return;
            }
        }

        _resume.ForgetStamps(files(piece));
        lock (_lock)
        {
            if (Picker is not { } picker || !picker.Have[piece])
            {
                return;
            }

            picker.PieceLost(piece);
            _resume.MarkDirty();
        }

        _resume.Signal();

        var note = $"piece {piece} no longer matched its hash when read from disk to serve it (its file changed after it was recorded); it is fetched again";
        lock (_lock)
        {
            PiecesLost++;
            LostNote = note;
        }

        log(note);
        _lostWhileComplete();
    }

    /// <summary>A piece could not be written: the torrent stops with the storage's error.</summary>
    public void PieceWriteFailed(int index, TorrentStorageException e)
    {
        lock (_lock)
        {
            Picker?.PieceFailed(index);
        }

        _fail(e.Message);
    }

    /// <summary>A piece passed its hash and is written: tell the peers, wake stream readers, record it.</summary>
    public void PieceDone(PartialPiece partial)
    {
        var index = partial.Index;
        partial.ReleaseBuffer();
        List<PeerSession> tell;
        List<TaskCompletionSource>? waiters;
        bool complete;
        lock (_lock)
        {
            var picker = Picker!;
            picker.PieceVerified(index);
            _resume.MarkDirty();
            _resume.Signal();
            complete = picker.IsDone;
            tell = _peers.Where(p => !p.Has[index]).ToList();
            waiters = _streams.TakeVerified(index, picker);
        }

        StreamWaiters.Release(waiters);

        foreach (var peer in tell)
        {
            _ = peer.SendQuietlyAsync(c => c.SendIndexAsync(PeerMessageType.Have, index, peer.Token));
        }

        if (complete)
        {
            _allVerified();
        }
    }

    /// <summary>A piece failed its hash: fetch it again, and ban peers that keep sending bad data.</summary>
    public void PieceFailedHash(PartialPiece partial)
    {
        var senders = partial.Senders.OfType<PeerSession>().ToList();
        partial.ReleaseBuffer();
        var toBan = new List<PeerSession>();
        lock (_lock)
        {
            Picker!.PieceFailed(partial.Index);
            foreach (var sender in senders)
            {
                // A peer that sent the whole piece alone is surely to blame (two strikes); a shared piece gives each
                // sender one, so an honest peer sharing pieces with a liar is not banned as fast as the liar.
                sender.HashFailures += senders.Count == 1 ? 2 : 1;
                if (sender.HashFailures >= 2 * _options.HashFailuresBeforeBan)
                {
                    _dialer.Ban(sender.EndPoint.Address);
                    toBan.Add(sender);
                }
            }
        }

        log($"piece {partial.Index} failed its hash check (data from {string.Join(", ", senders)}); fetching it again");
        foreach (var peer in toBan)
        {
            log($"banned {peer}: it sent data failing the hash check {peer.HashFailures} times");
            peer.Close();
        }
    }
}
