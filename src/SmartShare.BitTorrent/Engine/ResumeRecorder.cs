using System.Diagnostics;
using System.Threading.Channels;
using SmartShare.BitTorrent.Storage;

namespace SmartShare.BitTorrent.Engine;

/// <summary>
/// Records a torrent's verified pieces durably as they verify, so a killed process refetches only what it had not
/// verified: flushes the files, then saves the pieces to the <see cref="ResumeStore"/>. Owns the dirty flag (read and
/// written under the session's lock), the wake-up signal and the lock that keeps saves one at a time.
/// </summary>
internal sealed class ResumeRecorder(
    Lock sessionLock,
    TimeProvider time,
    ResumeStore? store,
    InfoHash infoHash,
    TorrentStorage storage,
    TorrentSessionOptions options,
    Func<Bitfield?> verifiedUnderLock,
    Action<string> log)
{
    // Wakes the writer; one pending signal is enough, as each save records every piece verified so far.
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Lock _saveLock = new();
    private long _lastSave;
    private bool _dirty;

    /// <summary>The pieces an earlier run recorded, or null when nothing is recorded or there is no store.</summary>
    public Bitfield? Load(int pieceCount) => store?.Load(infoHash, pieceCount);

    /// <summary>Notes that the verified pieces changed since the last save (under the session's lock).</summary>
    public void MarkDirty()
    {
        Debug.Assert(sessionLock.IsHeldByCurrentThread, "the dirty flag is guarded by the session's lock");
        _dirty = true;
    }

    /// <summary>Sets the dirty flag before the session starts, when what is recorded is known to be out of date.</summary>
    public void SetDirtyBeforeStart(bool dirty) => _dirty = dirty;

    /// <summary>Asks the writer loop to save soon.</summary>
    public void Signal() => _signal.Writer.TryWrite(true);

    // While one save (fsync and SQLite write) runs, the pieces verifying meanwhile gather for the next: the saves
    // batch themselves.
    public async Task RunAsync(CancellationToken token)
    {
        try
        {
            await foreach (var _ in _signal.Reader.ReadAllAsync(token).ConfigureAwait(false))
            {
                Save(force: true);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Saves if anything changed; unless <paramref name="force"/>, only once the save interval has passed since the
    /// last save. Call without holding the session's lock.
    /// </summary>
    public void Save(bool force)
    {
        // One save at a time, so an older copy of the pieces never lands after a newer one. The tick's save (a retry
        // after a failure) gives way to one under way rather than wait for its fsync.
        if (force)
        {
            _saveLock.Enter();
        }
        else if (!_saveLock.TryEnter())
        {
            return;
        }

        try
        {
            SaveExclusively(force);
        }
        finally
        {
            _saveLock.Exit();
        }
    }

    private void SaveExclusively(bool force)
    {
        if (store is null)
        {
            return;
        }

        Bitfield copy;
        var now = time.GetTimestamp();
        lock (sessionLock)
        {
            var verified = verifiedUnderLock();
            if (verified is null || !_dirty || (!force && time.GetElapsedTime(_lastSave, now) < options.ResumeSaveInterval))
            {
                return;
            }

            _dirty = false;
            _lastSave = now;
            copy = verified.Clone();
        }

        try
        {
            // The pieces in the copy were written before it was taken: make them durable before saying we have them.
            storage.Flush();
            store.Save(infoHash, copy);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            log($"could not record verified pieces: {e.Message}");
            lock (sessionLock)
            {
                _dirty = true;
            }
        }
    }
}
