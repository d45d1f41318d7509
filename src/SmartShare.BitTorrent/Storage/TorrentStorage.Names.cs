using SmartShare.IO;

namespace SmartShare.BitTorrent.Storage;

/// <summary>
/// The names of <see cref="TorrentStorage"/>'s files: while a torrent downloads, each of its files is at its final
/// name plus <see cref="IncompleteSuffix"/>, so an unfinished file is never mistaken for a complete one; when every
/// piece is verified they all take their final names, never replacing a file that is not the torrent's.
/// </summary>
public sealed partial class TorrentStorage
{
    /// <summary>What a file of a torrent still downloading has after its name.</summary>
    public const string IncompleteSuffix = ".part";

    private readonly string[] _partPaths;
    private readonly bool[] _atFinalName; // guarded by _lock once constructed
    private readonly bool _incompleteNames;

    /// <summary>Where file <paramref name="index"/> is now: its final path, or that path plus <see cref="IncompleteSuffix"/>.</summary>
    public string CurrentPath(int index)
    {
        lock (_lock)
        {
            return _atFinalName[index] ? FilePaths[index] : _partPaths[index];
        }
    }

    /// <summary>Whether file <paramref name="index"/> is at its final name.</summary>
    public bool IsAtFinalName(int index)
    {
        lock (_lock)
        {
            return _atFinalName[index];
        }
    }

    /// <summary>
    /// Before an incomplete torrent downloads: a file found at its final name moves to its incomplete name when it holds
    /// some of <paramref name="have"/> (the torrent's own data, from a release that wrote final names at once); one
    /// holding none is not the torrent's and is left alone, the download going to the incomplete name beside it.
    /// </summary>
    /// <exception cref="TorrentStorageException">A file cannot be renamed.</exception>
    public void BeginIncomplete(Bitfield have)
    {
        ArgumentNullException.ThrowIfNull(have);
        for (var i = 0; i < FilePaths.Count; i++)
        {
            if (_lengths[i] == 0 || !IsAtFinalName(i) || !_incompleteNames)
            {
                continue;
            }

            // With some files unwanted, names are per file: a file already whole keeps its final name.
            if (IsAnyUnwanted() && Engine.PiecePriorities.FileComplete(Info, i, have))
            {
                continue;
            }

            if (HoldsVerifiedData(i, have))
            {
                Rename(i, FilePaths[i], _partPaths[i], toFinal: false);
            }
            else
            {
                lock (_lock)
                {
                    _atFinalName[i] = false;
                }
            }
        }

        Flush();
    }

    /// <summary>
    /// Once every piece is verified and flushed: gives each file its final name (a rename, then an fsync of its
    /// folder). A file of someone else's already at a final name is never replaced: the rename fails, saying so.
    /// </summary>
    /// <exception cref="TorrentStorageException">A file cannot be renamed, or its final name is taken.</exception>
    public void TakeFinalNames() => TakeFinalNames(null);

    /// <summary>As <see cref="TakeFinalNames()"/>, for the files <paramref name="have"/> covers whole.</summary>
    /// <param name="have">
    /// With a selection, the verified pieces: only the files they cover whole take their final names (an unwanted file
    /// in the side file, or one holding part of its data, keeps its incomplete name).
    /// </param>
    public void TakeFinalNames(Bitfield? have)
    {
        for (var i = 0; i < FilePaths.Count; i++)
        {
            if (have is not null && (IsInSideFile(i) || !Engine.PiecePriorities.FileComplete(Info, i, have)))
            {
                continue;
            }

            if (!IsAtFinalName(i))
            {
                Rename(i, _partPaths[i], FilePaths[i], toFinal: true);
            }
        }

        Flush();
    }

    // A file with no bytes is made at its final name when the torrent completes; any other keeps the name it has on
    // disk (final: seeded data, or a download from a release without the suffix), else takes the suffix.
    private void FindNames()
    {
        for (var i = 0; i < FilePaths.Count; i++)
        {
            _atFinalName[i] = !_incompleteNames || _lengths[i] == 0 || (!File.Exists(_partPaths[i]) && Path.Exists(FilePaths[i]));
        }
    }

    // "a" and "a.part" in one torrent would share a file while "a" downloads, and a name of 251 bytes or more leaves
    // no room for the suffix.
    private void CheckIncompleteNames(string torrentName, HashSet<string> finalPaths)
    {
        for (var i = 0; i < _partPaths.Length; i++)
        {
            var problem = finalPaths.Contains(_partPaths[i]) ? "a name the torrent uses for another file"
                : System.Text.Encoding.UTF8.GetByteCount(Path.GetFileName(_partPaths[i])) > Metainfo.TorrentLimits.MaxComponentBytes
                    ? $"longer than a file name may be ({Metainfo.TorrentLimits.MaxComponentBytes} bytes)"
                    : null;
            if (problem is not null)
            {
                throw new TorrentStorageException(
                    $"Refusing to store torrent \"{Shorten(torrentName)}\": {FilePaths[i]} would download under {_partPaths[i]}, {problem}.", FilePaths[i]);
            }
        }
    }

    private bool IsAnyUnwanted()
    {
        lock (_lock)
        {
            return _unwanted?.Contains(true) == true;
        }
    }

    private bool HoldsVerifiedData(int index, Bitfield have)
    {
        var first = (int)(_offsets[index] / Info.PieceLength);
        var last = (int)((_offsets[index] + _lengths[index] - 1) / Info.PieceLength);
        for (var piece = first; piece <= last; piece++)
        {
            if (have[piece])
            {
                return true;
            }
        }

        return false;
    }

    private void Rename(int index, string from, string to, bool toFinal)
    {
        var folder = Path.GetDirectoryName(to)!;
        try
        {
            RefuseLinks(from);
            RefuseLinks(to);
            NoClobberRename.Move(from, to);
        }
        catch (IOException) when (toFinal && Path.Exists(to))
        {
            throw new TorrentStorageException(
                $"Cannot give {to} its final name: a file that is not this torrent's is already there and was left as it is; the downloaded data stays in {from}.",
                to);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Failure($"rename {from} to", to, ex);
        }

        lock (_lock)
        {
            _atFinalName[index] = toFinal;
            _changedFolders.Add(folder);
        }
    }
}
