using SmartShare.IO;

namespace SmartShare.BitTorrent.Storage;

/// <summary>
/// Reading a piece to serve it, SHA-1-checked once per run: the first read of a piece in a run is hashed; after that
/// the piece is trusted while every file it covers keeps the stamp (size and last-write time) seen before that check,
/// and the stamps are looked at again after each trusted read, so an edit or a truncation behind the node's back sends
/// the piece through the hash again. The blob server treats stream blobs the same way (<c>ServedBlobChecks</c>).
/// </summary>
public sealed partial class TorrentStorage
{
    private readonly Lock _servedLock = new();
    private Bitfield? _servedChecked; // guarded by _servedLock
    private FileStamp[]? _servedStamps; // guarded by _servedLock: each file's stamp when its served pieces were checked
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
            if (_servedChecked is null || _servedStamps is null || !_servedChecked[piece])
            {
                return false;
            }

            for (var i = 0; i < files.Length; i++)
            {
                if (!_servedStamps[files[i]].Vouches(now[i]))
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
    // serve hashes again. A file whose stamp moved since its other pieces were checked loses their trust first.
    private void RecordServedCheck(int piece, int[] files, FileStamp[] before)
    {
        lock (_servedLock)
        {
            _servedChecked ??= new Bitfield(Info.PieceCount);
            if (_servedStamps is null)
            {
                _servedStamps = new FileStamp[FilePaths.Count];
                Array.Fill(_servedStamps, FileStamp.Unknown);
            }

            for (var i = 0; i < files.Length; i++)
            {
                var file = files[i];
                if (_servedStamps[file] != before[i])
                {
                    ForgetServedChecksOf(file);
                    _servedStamps[file] = before[i];
                }
            }

            if (before.All(stamp => stamp.IsKnown))
            {
                _servedChecked[piece] = true;
            }
        }
    }

    private void ForgetServedChecksOf(int file)
    {
        if (_lengths[file] == 0)
        {
            return;
        }

        var first = (int)(_offsets[file] / Info.PieceLength);
        var last = (int)((_offsets[file] + _lengths[file] - 1) / Info.PieceLength);
        for (var piece = first; piece <= last; piece++)
        {
            _servedChecked![piece] = false;
        }
    }
}
