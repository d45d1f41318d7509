using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.Storage;

namespace SmartShare.BitTorrent.Engine;

/// <summary>A running torrent's file selection, changed while it transfers.</summary>
public sealed partial class TorrentSession
{
    /// <summary>
    /// Changes which files are wanted and how the pieces are ordered, at once: bytes a newly wanted file has in the side
    /// file move into it, a torrent done with its selection that now wants more downloads again, and one whose
    /// missing pieces are all unwanted now is done (it seeds what it has).
    /// </summary>
    /// <exception cref="TorrentStorageException">Moving bytes out of the side file failed.</exception>
    public async Task SelectFilesAsync(FileSelection selection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(selection);
        var info = Torrent.Info;
        var priorities = PiecePriorities.Compute(info, selection);
        ObjectDisposedException.ThrowIf(_mode is StoppedMode, this);
        await _selectionGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _selection = selection;
            if (_picker is null)
            {
                return; // not started: the start applies it
            }

            await Storage.SelectFilesAsync(Wanted(selection), HaveNow, TorrentStorage.SideFileName(InfoHash), cancellationToken).ConfigureAwait(false);
            bool done;
            lock (_lock)
            {
                _picker.SetPriorities(priorities);
                _picker.Sequential = _options.Sequential || selection.Sequential;
                done = _picker.IsDone;
            }

            if (!done)
            {
                if (SwitchMode(new DownloadingMode(), onlyFrom: m => m.IsComplete))
                {
                    Log("more files wanted; downloading again");
                }
            }
            else if (_mode is DownloadingMode)
            {
                _ = Task.Run(FinishDownloadAsync, CancellationToken.None);
            }
        }
        finally
        {
            _selectionGate.Release();
        }
    }

    private static bool[] Wanted(FileSelection selection) => [.. selection.Priorities.Select(p => p != TorrentFilePriority.Off)];
}
