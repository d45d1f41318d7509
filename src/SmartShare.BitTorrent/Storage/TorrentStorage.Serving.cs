using SmartShare.IO;

namespace SmartShare.BitTorrent.Storage;

/// <summary>
/// Reading a piece to serve it, SHA-1-checked once per run: the first read of a piece in a run is hashed; after that
/// the piece is trusted while every file it covers keeps the stamp (size and last-write time) seen before that check,
/// and the stamps are looked at again after each trusted read, so an edit or a truncation behind the node's back sends
/// the piece through the hash again. The blob server treats stream blobs the same way where no change time was recorded
/// (<c>ServedBlobChecks</c>; with one, a blob file is trusted from its first serve).
/// </summary>
public sealed partial class TorrentStorage
{
    private readonly Lock _servedLock = new();

    // Guarded by _servedLock, made at the first serve. A piece is trusted while it was checked after every change of
    // the files it covers: _checkedAt[piece] (0: never) is later than each file's _stampChangedAt, on one counter.
    private int[]? _checkedAt;
    private int[]? _stampChangedAt;
    private FileStamp[]? _servedStamps; // each file's stamp as the last check of one of its pieces saw it
    private int _servedClock;
    private long _piecesServedTrusted;

    /// <summary>How many pieces were read to serve them without hashing (trusted after a check earlier in this run).</summary>
    public long PiecesServedTrusted => Interlocked.Read(ref _piecesServedTrusted);

    /// <summary>
    /// Reads piece <paramref name="piece"/> into the start of <paramref name="buffer"/> to serve it: true when its bytes
    /// are good (hashed now, or checked earlier in this run and its files unchanged since), false when they do not
    /// match or cannot be read.
    /// </summary>
    public async ValueTask<bool> ReadServedPieceAsync(int piece, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var size = Info.GetPieceSize(piece);
        if (buffer.Length < size)
        {
            throw new ArgumentException($"Piece {piece} needs a buffer of {size} bytes, not {buffer.Length}.", nameof(buffer));
        }

        var files = FilesOf(piece).ToArray();
        var before = new FileStamp[files.Length];
        for (var i = 0; i < files.Length; i++)
        {
            before[i] = StampOf(files[i]);
        }

        if (IsServedTrusted(piece, files, before))
        {
            try
            {
                if (await TryReadAsync((long)piece * Info.PieceLength, buffer[..size], cancellationToken).ConfigureAwait(false) is null
                    && StampsStill(files, before))
                {
                    Interlocked.Increment(ref _piecesServedTrusted);
                    return true;
                }
            }
            catch (TorrentStorageException)
            {
                return false;
            }
        }

        if (!await VerifyPieceAsync(piece, buffer, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        RecordServedCheck(piece, files, before);
        return true;
    }

    private bool IsServedTrusted(int piece, int[] files, FileStamp[] now)
    {
        lock (_servedLock)
        {
            if (_checkedAt is null || _stampChangedAt is null || _servedStamps is null || _checkedAt[piece] == 0)
            {
                return false;
            }

            for (var i = 0; i < files.Length; i++)
            {
                var file = files[i];
                if (!_servedStamps[file].Vouches(now[i]) || _stampChangedAt[file] >= _checkedAt[piece])
                {
                    return false;
                }
            }

            return true;
        }
    }

    private bool StampsStill(int[] files, FileStamp[] before)
    {
        for (var i = 0; i < files.Length; i++)
        {
            if (StampOf(files[i]) != before[i])
            {
                return false;
            }
        }

        return true;
    }

    // The stamps are those read before the hashed read: a change during it leaves them behind the file's, so the next
    // serve hashes again. A file whose stamp moved since its other pieces were checked is marked changed, which takes
    // their trust (they were checked before the change).
    private void RecordServedCheck(int piece, int[] files, FileStamp[] before)
    {
        lock (_servedLock)
        {
            if (_checkedAt is null || _stampChangedAt is null || _servedStamps is null || _servedClock >= int.MaxValue - files.Length - 1)
            {
                _checkedAt = new int[Info.PieceCount];
                _stampChangedAt = new int[FilePaths.Count];
                _servedStamps = new FileStamp[FilePaths.Count];
                Array.Fill(_servedStamps, FileStamp.Unknown);
                _servedClock = 0;
            }

            for (var i = 0; i < files.Length; i++)
            {
                var file = files[i];
                if (_servedStamps[file] != before[i])
                {
                    _servedStamps[file] = before[i];
                    _stampChangedAt[file] = ++_servedClock;
                }
            }

            _checkedAt[piece] = before.All(stamp => stamp.IsKnown) ? ++_servedClock : 0;
        }
    }
}
