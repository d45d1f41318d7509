using System.Diagnostics;
using System.Threading.Channels;
using SmartShare.BitTorrent.Storage;
using SmartShare.IO;

namespace SmartShare.BitTorrent.Engine;

/// <summary>
/// Records a torrent's verified pieces as they verify, so a killed process refetches only what it had not verified:
/// stamps the files (<see cref="FileStamp"/>), flushes those whose stamps vouch for their pieces, and saves pieces and
/// stamps to the <see cref="ResumeStore"/> in one row. Owns the dirty flag (read and written under the session's lock),
/// the wake-up signal, the lock that keeps saves one at a time, and the stamps last recorded (under that lock).
/// </summary>
/// <remarks>
/// A stamp recorded vouches only for pieces durable when the row was written: a save flushes every file whose stamp it
/// records before writing the row, and a write after the stamp moves the file's time, which only costs a check at the
/// next start. A file stamped <see cref="FileStamp.Unknown"/> (changed within the racy window, as every file being
/// downloaded is) vouches for nothing, so its save only starts its writeback: its recorded pieces are hashed at the
/// next start, and a kill loses none of them (the kernel holds the bytes), a power cut only those it had not written
/// yet. A download thus waits for the disk once its files settle, not at every piece. A file whose stamp moved with
/// no write of ours was changed behind the node's back: it is stamped <see cref="FileStamp.Unknown"/> until the next
/// start checks it. Before a recorded piece may be rewritten (lost, fetched again) the stamps in the store are
/// dropped, so a kill in the middle of that write never leaves the old stamp vouching for torn bytes.
/// </remarks>
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
    /// <summary>How recent a file's last-write time may be and still be stamped (see <see cref="IsRacy"/>).</summary>
    internal static readonly TimeSpan RacyWindow = FileStamp.RacyWindow;

    private long _lastSave;
    private bool _dirty;
    private FileStamp[] _stamps = [];   // the last stamps taken (at the start's check or a save); under _saveLock
    private OwnWrites[] _writes = [];   // each file's writes of ours when its stamp was taken; under _saveLock
    private bool[] _changedBehind = []; // files changed behind the node's back: Unknown until the next start; under _saveLock

    /// <summary>The pieces and file stamps an earlier run recorded, or null when nothing is recorded or there is no store.</summary>
    public ResumeRecord? Load(int pieceCount, int fileCount) => store?.LoadRecord(infoHash, pieceCount, fileCount);

    /// <summary>
    /// Before the session starts: the files' stamps taken by the check (before it read anything), against which later
    /// saves tell our writes from changes behind our back. True when they differ from what <paramref name="recorded"/>
    /// holds, so the record is out of date (a first record, a record without stamps, or files found changed).
    /// </summary>
    public bool StartFrom(FileStamp[] stamps, ResumeRecord? recorded)
    {
        ArgumentNullException.ThrowIfNull(stamps);
        lock (_saveLock)
        {
            _stamps = [.. stamps];
            _writes = [.. Enumerable.Range(0, stamps.Length).Select(storage.WritesTo)];
            _changedBehind = new bool[stamps.Length];
        }

        return recorded?.Stamps is not { } then || !then.AsSpan().SequenceEqual(stamps);
    }

    /// <summary>
    /// A recorded piece of <paramref name="files"/> no longer matches: drops the stored stamps (waiting for a save under
    /// way) before the piece may be fetched and rewritten, and stamps those files Unknown until the next start.
    /// </summary>
    public void ForgetStamps(IEnumerable<int> files)
    {
        lock (_saveLock)
        {
            foreach (var file in files)
            {
                if (file < _changedBehind.Length)
                {
                    _changedBehind[file] = true;
                }
            }

            try
            {
                store?.ForgetStamps(infoHash);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                log($"could not drop the file stamps of the recorded pieces: {e.Message}");
            }
        }
    }

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
            // The pieces in the copy were written before it was taken, and before the stamps below. A stamp recorded
            // vouches for its file's pieces at the next start, so such a file is made durable before the row says so. A
            // file stamped Unknown (written within the racy window: every file a download is writing) vouches for
            // nothing, its recorded pieces being hashed at the next start, so its save does not wait for the disk.
            var stamps = StampsNow(out var restamp);
            storage.FlushVouched(Vouching(stamps));
            store.Save(infoHash, copy, stamps);
            if (restamp)
            {
                // A file's time was too recent to stamp: the periodic save records the stamps once it is not.
                lock (sessionLock)
                {
                    _dirty = true;
                }
            }
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

    // The files whose stamps vouch for bytes: known, and holding some.
    private static HashSet<int> Vouching(FileStamp[] stamps)
    {
        var files = new HashSet<int>();
        for (var i = 0; i < stamps.Length; i++)
        {
            if (stamps[i].IsKnown && stamps[i].Length > 0)
            {
                files.Add(i);
            }
        }

        return files;
    }

    // Each file's stamp now (under _saveLock): kept when unchanged, taken anew after writes of ours (our count read
    // before the stamp, so a write landing after it moves the time again, and a write under way then is known to be),
    // Unknown for a file that changed with no write of ours. A write landing between the stamp and the flush that
    // follows it moves the file's time past the stamp, which then vouches for nothing.
    private FileStamp[] StampsNow(out bool restamp)
    {
        restamp = false;
        var wallClock = time.GetUtcNow();
        var stamps = new FileStamp[_stamps.Length];
        for (var i = 0; i < stamps.Length; i++)
        {
            var writes = storage.WritesTo(i);
            var now = storage.StampOf(i);
            // Moved with no write of ours started since the last stamp, and none under way when it was taken (a
            // write counted then may have landed after it).
            if (!_changedBehind[i] && now != _stamps[i] && writes.Started == _writes[i].Started && !_writes[i].InFlight)
            {
                _changedBehind[i] = true;
                log($"{storage.CurrentPath(i)} changed on disk behind the node's back; its recorded pieces are checked at the next start");
            }

            stamps[i] = _changedBehind[i] ? FileStamp.Unknown : now;
            _stamps[i] = now;
            _writes[i] = writes;
            if (stamps[i].IsKnown && stamps[i].Length > 0 && IsRacy(stamps[i], wallClock))
            {
                // The file's time is too recent to tell a later write apart (a clock tick, or a coarse file system):
                // not stamped now, stamped by a save once it is old enough.
                stamps[i] = FileStamp.Unknown;
                restamp = true;
            }
        }

        return stamps;
    }

    // Racy like git's index: a write in the same clock tick as the stamp, or within a coarse file system's time
    // granularity of it, may leave the time as it was. A time far in the future (a skewed clock) never settles and is
    // simply not stamped.
    private static bool IsRacy(FileStamp stamp, DateTimeOffset wallClock)
    {
        var age = wallClock.UtcTicks - stamp.LastWriteUtcTicks;
        return age < RacyWindow.Ticks && age > -RacyWindow.Ticks;
    }
}
