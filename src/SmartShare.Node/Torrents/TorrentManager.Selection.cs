using SmartShare.BitTorrent;
using SmartShare.BitTorrent.Engine;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.Storage;

namespace SmartShare.Node.Torrents;

/// <summary>
/// File selection of the node's torrents: stored in <see cref="FileSelectionStore"/>, handed to each session as it
/// starts, and changed while it runs.
/// </summary>
public sealed partial class TorrentManager
{
    private FileSelectionStore? _selections;

    // One selection change at a time: each reads the current selection and writes the next, so two at once (the web
    // UI sends a checkbox and a priority in quick succession) would otherwise lose one of them.
    private readonly SemaphoreSlim _selectionGate = new(1, 1);

    private FileSelectionStore Selections => _selections ??= FileSelectionStore.Open(runtime.DataDirectory, time);

    /// <summary>
    /// A torrent's selection: its session's, else the stored one (a magnet's request turned into priorities now that
    /// the file count is known); null when every file is wanted at normal priority and nothing was ever chosen.
    /// </summary>
    public FileSelection? Selection(InfoHash infoHash, int fileCount)
    {
        if (Session(infoHash) is { } session)
        {
            return session.Selection;
        }

        if (Selections.Load(infoHash, fileCount) is not var (selection, pending))
        {
            return null;
        }

        if (selection is null && pending is not null)
        {
            selection = pending.Apply(null, fileCount, strict: false);
            Selections.Save(infoHash, selection);
        }

        return selection;
    }

    /// <summary>
    /// Changes which files of a torrent are wanted and how: stored first (so a crash keeps it), then applied to the
    /// running session. A magnet still fetching its metadata keeps the request until the files are known.
    /// </summary>
    /// <returns>The new selection; null when the torrent's files are not known yet (the request is kept).</returns>
    /// <exception cref="ArgumentException">An index names no file of the torrent.</exception>
    /// <exception cref="TorrentStorageException">Moving a newly wanted file's bytes out of the side file failed.</exception>
    /// <param name="known">The torrent's info when the caller has it (a torrent being added, not stored yet).</param>
    public async Task<FileSelection?> SelectFilesAsync(
        InfoHash infoHash, FileSelectionRequest request, CancellationToken cancellationToken, TorrentInfo? known = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        await _selectionGate.WaitAsync(cancellationToken);
        try
        {
            return await SelectFilesLockedAsync(infoHash, request, known, cancellationToken);
        }
        finally
        {
            _selectionGate.Release();
        }
    }

    private async Task<FileSelection?> SelectFilesLockedAsync(
        InfoHash infoHash, FileSelectionRequest request, TorrentInfo? known, CancellationToken cancellationToken)
    {
        var session = Session(infoHash);
        var info = session?.Torrent.Info ?? known ?? StoredTorrent(infoHash)?.Info;
        if (info is null)
        {
            // Requests made before the metadata came add up: get --files, then file_set_files, both count.
            var earlier = Selections.Load(infoHash, 0)?.Pending;
            Selections.SavePending(infoHash, Merge(earlier, request));
            return null;
        }

        var next = request.Apply(Selection(infoHash, info.Files.Count), info.Files.Count, strict: true);
        Selections.Save(infoHash, next);
        if (session is not null)
        {
            await session.SelectFilesAsync(next, cancellationToken);
        }

        return next;
    }

    // Before a session starts: the selection it starts with (null: all files).
    private FileSelection? StartingSelection(InfoHash infoHash, int fileCount) => Selection(infoHash, fileCount);

    private void ForgetSelection(InfoHash infoHash, string? contentRoot)
    {
        Selections.Delete(infoHash);
        if (contentRoot is not null)
        {
            var side = Path.Combine(contentRoot, TorrentStorage.SideFileName(infoHash));
            if (File.Exists(side))
            {
                File.Delete(side);
            }
        }
    }

    private static FileSelectionRequest Merge(FileSelectionRequest? earlier, FileSelectionRequest later) =>
        earlier is null ? later : new FileSelectionRequest(
            later.Only ?? earlier.Only,
            Union(earlier.Wanted, later.Wanted),
            Union(earlier.Unwanted, later.Unwanted),
            Union(earlier.High, later.High),
            Union(earlier.Normal, later.Normal),
            Union(earlier.Low, later.Low),
            later.Sequential ?? earlier.Sequential,
            later.FirstLastPiece ?? earlier.FirstLastPiece,
            later.WantAll || earlier.WantAll);

    private static List<int>? Union(IReadOnlyList<int>? a, IReadOnlyList<int>? b) =>
        a is null && b is null ? null : [.. (a ?? []).Union(b ?? []).Order()];
}
