using SmartShare.BitTorrent;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.Storage;
using SmartShare.Node.Downloads;

namespace SmartShare.Node.Torrents;

/// <summary>A listed torrent's pause, resume and removal: what runs for it ended, its verified pieces recorded.</summary>
public sealed partial class TorrentManager
{
    /// <summary>
    /// Stops a torrent's transfer (download or seeding, or a magnet's metadata fetch) and keeps it listed as stopped;
    /// its verified pieces are recorded, so <see cref="Resume"/> fetches only the rest.
    /// </summary>
    /// <returns>False when no such torrent is listed.</returns>
    public async Task<bool> PauseAsync(InfoHash infoHash)
    {
        var record = store.Find(infoHash);
        if (record is null)
        {
            return false;
        }

        await HaltAsync(infoHash);

        store.Update(record with { Status = FileStatus.Stopped, Error = null });
        return true;
    }

    /// <summary>Starts a stopped or failed torrent again (re-checking what it had); a running one is left as it is.</summary>
    /// <returns>False when no such torrent is listed.</returns>
    public bool Resume(InfoHash infoHash)
    {
        lock (_addLock)
        {
            var record = store.Find(infoHash);
            if (record is null)
            {
                return false;
            }

            if (_sessions.ContainsKey(infoHash) || Magnets.IsFetching(infoHash))
            {
                return true;
            }

            var resumed = record with { Status = FileStatus.Downloading, Error = null };
            var metainfo = store.LoadMetainfo(infoHash);
            if (metainfo is null)
            {
                if (record.Magnet is null)
                {
                    throw new InvalidOperationException($"The torrent {infoHash} has neither metadata nor a magnet link to fetch it by; get it again.");
                }

                store.Update(resumed);
                Magnets.Resume(resumed);
                return true;
            }

            // Back to downloading until the check finds every piece, when it seeds again (and keeps its completion time).
            store.Update(resumed);
            StartSession(TorrentParser.Parse(metainfo), resumed, record.Peers, verified: null);
            return true;
        }
    }

    /// <summary>Stops a torrent and removes it from the list; its files stay unless <paramref name="deleteFiles"/>.</summary>
    public async Task<bool> DeleteAsync(InfoHash infoHash, bool deleteFiles)
    {
        var record = store.Find(infoHash);
        await HaltAsync(infoHash);

        _resume?.Delete(infoHash);
        ForgetSelection(infoHash, deleteFiles && record is { Kind: FileKind.Download } ? record.DownloadDirectory : null);
        var removed = store.Delete(infoHash);
        if (deleteFiles && record is not null && record.Kind == FileKind.Download && !record.AwaitingMetadata)
        {
            var root = Path.Combine(record.DownloadDirectory, record.RootName);
            if (File.Exists(root + TorrentStorage.IncompleteSuffix))
            {
                File.Delete(root + TorrentStorage.IncompleteSuffix);
            }

            if (File.Exists(root))
            {
                File.Delete(root);
            }
            else if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }

        return removed || record is not null;
    }

    // Ends whatever runs for a torrent (its metadata fetch, DHT lookups, session), recording its verified pieces.
    private async Task HaltAsync(InfoHash infoHash)
    {
        if (_magnets is not null)
        {
            await _magnets.HaltAsync(infoHash);
        }

        network.Dht?.Untrack(infoHash);
        localDiscovery.Untrack(infoHash);
        if (_sessionWaiters.TryRemove(infoHash, out var waiter))
        {
            waiter.TrySetCanceled();
        }

        if (_sessions.TryRemove(infoHash, out var session))
        {
            session.StateChanged -= OnStateChanged;
            await Client.RemoveAsync(infoHash);
            session.Storage.Dispose();
        }
    }
}
