using SmartShare.IO;

namespace SmartShare.BitTorrent.Storage;

/// <summary>
/// What lets a start trust recorded pieces without reading them: each file's <see cref="FileStamp"/> (size and
/// last-write time), the files a piece covers, and how many writes of our own each file has had (so a stamp that
/// moved without one is known to be a change behind the node's back).
/// </summary>
public sealed partial class TorrentStorage
{
    private long _piecesHashed;

    /// <summary>How many pieces were read and hashed (a check, a recheck, a piece read to serve it).</summary>
    public long PiecesHashed => Interlocked.Read(ref _piecesHashed);

    /// <summary>
    /// File <paramref name="index"/>'s stamp now: a file with no bytes stamps as (0, 0); one whose bytes are in the
    /// side file, not on disk or a link is <see cref="FileStamp.Unknown"/>.
    /// </summary>
    public FileStamp StampOf(int index) =>
        _lengths[index] == 0 ? new FileStamp(0, 0)
        : IsInSideFile(index) ? FileStamp.Unknown
        : FileStamp.Of(CurrentPath(index));

    /// <summary>Tests only: awaited by a piece write after it is counted and before its bytes land.</summary>
    internal Func<ValueTask>? BeforeWriteLandsForTests { get; set; }

    /// <summary>Every file's stamp now (<see cref="StampOf"/>).</summary>
    public FileStamp[] StampFiles()
    {
        var stamps = new FileStamp[FilePaths.Count];
        for (var i = 0; i < stamps.Length; i++)
        {
            stamps[i] = StampOf(i);
        }

        return stamps;
    }

    /// <summary>
    /// How many piece writes of ours have reached file <paramref name="index"/> (started ones count), and whether one
    /// is still under way, read together: a write counted but not yet landed may still move the file's stamp.
    /// </summary>
    public OwnWrites WritesTo(int index)
    {
        lock (_lock)
        {
            return new OwnWrites(_fileWrites[index], _fileWritesInFlight[index] > 0);
        }
    }

    /// <summary>The files holding bytes of piece <paramref name="piece"/> (files of no bytes and padding are left out).</summary>
    public IEnumerable<int> FilesOf(int piece)
    {
        var start = (long)piece * Info.PieceLength;
        var end = start + Info.GetPieceSize(piece);
        for (var i = FindFile(start); i < _offsets.Length && _offsets[i] < end; i++)
        {
            if (_lengths[i] > 0 && _offsets[i] + _lengths[i] > start)
            {
                yield return i;
            }
        }
    }

    private void CountWriteLocked(int target)
    {
        if (target >= 0)
        {
            _fileWrites[target]++;
            _fileWritesInFlight[target]++;
        }
    }

    private void EndWriteLocked(int target)
    {
        if (target >= 0)
        {
            _fileWritesInFlight[target]--;
        }
    }
}

/// <summary>
/// A file's count of our piece writes (<see cref="Started"/>, counted before each write begins) and whether any of
/// them has not landed yet (<see cref="InFlight"/>).
/// </summary>
public readonly record struct OwnWrites(long Started, bool InFlight);
