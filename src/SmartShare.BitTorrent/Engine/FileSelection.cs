using SmartShare.BitTorrent.Metainfo;

namespace SmartShare.BitTorrent.Engine;

/// <summary>How much the user wants one file of a torrent; <see cref="Off"/> means not at all (not downloaded, not created).</summary>
public enum TorrentFilePriority
{
    Off = 0,
    Low = 1,
    Normal = 2,
    High = 3,
}

/// <summary>
/// Which files of a torrent the user wants and how much, and how pieces are ordered: <see cref="Sequential"/> takes
/// pieces in index order inside each priority band, <see cref="FirstLastPiece"/> fetches the first and last piece of
/// every wanted file before the rest (so a player can read a file's header and index early).
/// </summary>
public sealed record FileSelection(IReadOnlyList<TorrentFilePriority> Priorities, bool Sequential = false, bool FirstLastPiece = false)
{
    /// <summary>Every file normal, in the picker's usual order.</summary>
    public static FileSelection All(int fileCount) => new(Enumerable.Repeat(TorrentFilePriority.Normal, fileCount).ToArray());

    /// <summary>Whether file <paramref name="index"/> is wanted.</summary>
    public bool IsWanted(int index) => Priorities[index] != TorrentFilePriority.Off;

    /// <summary>Whether every file is wanted.</summary>
    public bool WantsAll => Priorities.All(p => p != TorrentFilePriority.Off);
}

/// <summary>
/// A piece's priority as data (after anacrolix/torrent): the highest priority of the files it overlaps, raised to
/// <see cref="Preview"/> for the first and last piece of each wanted file when asked; 0 (off) when it overlaps only
/// unwanted files, which the picker then never requests.
/// </summary>
public static class PiecePriorities
{
    /// <summary>The band above high: the first and last pieces of wanted files, for previews.</summary>
    public const byte Preview = 4;

    /// <summary>Each piece's priority for <paramref name="selection"/>: 0 off, 1 low, 2 normal, 3 high, 4 preview.</summary>
    public static byte[] Compute(TorrentInfo info, FileSelection selection)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(selection);
        if (selection.Priorities.Count != info.Files.Count)
        {
            throw new ArgumentException(
                $"The selection names {selection.Priorities.Count} files; the torrent has {info.Files.Count}.", nameof(selection));
        }

        var pieces = new byte[info.PieceCount];
        for (var i = 0; i < info.Files.Count; i++)
        {
            var file = info.Files[i];
            var priority = (byte)selection.Priorities[i];
            if (file.Length == 0 || priority == 0)
            {
                continue;
            }

            var first = (int)(file.Offset / info.PieceLength);
            var last = (int)((file.Offset + file.Length - 1) / info.PieceLength);
            for (var piece = first; piece <= last; piece++)
            {
                pieces[piece] = Math.Max(pieces[piece], priority);
            }

            if (selection.FirstLastPiece)
            {
                pieces[first] = Preview;
                pieces[last] = Preview;
            }
        }

        return pieces;
    }

    /// <summary>Whether file <paramref name="index"/> of <paramref name="info"/> lies wholly in pieces of <paramref name="have"/>.</summary>
    public static bool FileComplete(TorrentInfo info, int index, Bitfield have)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(have);
        var file = info.Files[index];
        if (file.Length == 0)
        {
            return true;
        }

        var first = (int)(file.Offset / info.PieceLength);
        var last = (int)((file.Offset + file.Length - 1) / info.PieceLength);
        for (var piece = first; piece <= last; piece++)
        {
            if (!have[piece])
            {
                return false;
            }
        }

        return true;
    }
}
