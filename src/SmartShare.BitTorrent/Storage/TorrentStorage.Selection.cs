using System.Buffers;
using SmartShare.BitTorrent.Engine;
using SmartShare.IO;

namespace SmartShare.BitTorrent.Storage;

/// <summary>
/// File selection on disk (after qBittorrent's <c>.parts</c> file): a file the user does not want is never created.
/// The bytes of a piece that straddles a wanted and an unwanted file which fall in the unwanted one go to one sparse
/// side file in the content folder, <c>.&lt;info hash&gt;.parts</c>, at their offset in the torrent, so such pieces are
/// written whole, verify, are served and survive a restart, while nothing outside the wanted files appears. When a
/// file becomes wanted, its bytes held there are copied into the real file (and fsynced) before reads and writes go
/// there; once no file's bytes live in the side file any more, it is deleted.
/// </summary>
/// <remarks>
/// Where a file's bytes are is decided at each <see cref="SelectFilesAsync"/> (the session calls it at start, before
/// the check, and on every change) from two facts only, so nothing else needs recording: a wanted file is at its real
/// name; an unwanted file whose real file already exists (it was wanted before) stays there; any other unwanted file is
/// in the side file. A wanted file with no real file takes what the side file holds for it. Piece writes and a change
/// of selection exclude each other, so no piece lands where the new selection will not look.
/// </remarks>
public sealed partial class TorrentStorage
{
    private const int SideIndex = -1;

    private bool[]? _inSide;   // guarded by _lock; null until a selection is applied (every file at its real name)
    private bool[]? _unwanted; // guarded by _lock
    private string? _sidePath;
    private int _writesInFlight;
    private TaskCompletionSource? _switching;
    private TaskCompletionSource? _drained;

    /// <summary>The side file's name for a torrent: <c>.&lt;info hash hex&gt;.parts</c>.</summary>
    public static string SideFileName(InfoHash infoHash) => $".{infoHash}.parts";

    /// <summary>The side file's full path, once a selection set it.</summary>
    public string? SidePath
    {
        get
        {
            lock (_lock)
            {
                return _sidePath;
            }
        }
    }

    /// <summary>Whether file <paramref name="index"/>'s bytes live in the side file (an unwanted file never created).</summary>
    public bool IsInSideFile(int index)
    {
        lock (_lock)
        {
            return _inSide?[index] == true;
        }
    }

    /// <summary>
    /// Applies which files are wanted: see the remarks of this class. <paramref name="have"/> is asked, once every
    /// piece write under way has ended, for the verified pieces whose bytes should move from the side file into a
    /// newly wanted file (the first and last piece of such a file, which straddle, are always copied).
    /// </summary>
    /// <exception cref="TorrentStorageException">A file cannot be created, copied into or flushed.</exception>
    public async Task SelectFilesAsync(IReadOnlyList<bool> wanted, Func<Bitfield?> have, string sideFileName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(wanted);
        ArgumentNullException.ThrowIfNull(have);
        ArgumentException.ThrowIfNullOrEmpty(sideFileName);
        if (wanted.Count != FilePaths.Count)
        {
            throw new ArgumentException($"The selection names {wanted.Count} files; the torrent has {FilePaths.Count}.", nameof(wanted));
        }

        var sidePath = Under(ContentRoot, [sideFileName]);
        Task drained;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_switching is not null)
            {
                throw new InvalidOperationException("Another file selection is being applied.");
            }

            _switching = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _drained = _writesInFlight == 0 ? null : new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            drained = _drained?.Task ?? Task.CompletedTask;
            _sidePath = sidePath;
            _inSide ??= new bool[FilePaths.Count];
            _unwanted ??= new bool[FilePaths.Count];
        }

        try
        {
            await drained.WaitAsync(cancellationToken).ConfigureAwait(false);
            var pieces = have();
            var sideExists = File.Exists(sidePath);
            var anyInSide = false;
            for (var i = 0; i < FilePaths.Count; i++)
            {
                var realExists = File.Exists(_partPaths[i]) || File.Exists(FilePaths[i]);
                bool inSide;
                if (wanted[i])
                {
                    if (_lengths[i] > 0 && !realExists && sideExists)
                    {
                        await CopyFromSideAsync(i, pieces, cancellationToken).ConfigureAwait(false);
                    }

                    inSide = false;
                }
                else
                {
                    inSide = _lengths[i] > 0 && !realExists;
                }

                anyInSide |= inSide;
                lock (_lock)
                {
                    _inSide![i] = inSide;
                    _unwanted![i] = !wanted[i];
                }
            }

            if (!anyInSide && sideExists)
            {
                DeleteSideFile();
            }
        }
        finally
        {
            lock (_lock)
            {
                _switching.TrySetResult();
                _switching = null;
                _drained = null;
            }
        }
    }

    // Piece writes are counted so a change of selection can wait for them and hold new ones back meanwhile.
    private async ValueTask EnterWriteAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_lock)
            {
                if (_switching is null)
                {
                    _writesInFlight++;
                    return;
                }

                wait = _switching.Task;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void ExitWrite()
    {
        lock (_lock)
        {
            if (--_writesInFlight == 0)
            {
                _drained?.TrySetResult();
            }
        }
    }

    // Where segment bytes of file `index` at `within` go: the file itself, or the side file at the torrent offset.
    private (int Target, long Position) Route(int index, long within)
    {
        lock (_lock)
        {
            return _inSide?[index] == true ? (SideIndex, _offsets[index] + within) : (index, within);
        }
    }

    private bool IsUnwanted(int index)
    {
        lock (_lock)
        {
            return _unwanted?[index] == true;
        }
    }

    private string PathOf(int target) => target == SideIndex ? SidePath! : CurrentPath(target);

    private async Task CopyFromSideAsync(int index, Bitfield? have, CancellationToken cancellationToken)
    {
        var start = _offsets[index];
        var end = start + _lengths[index];
        var first = (int)(start / Info.PieceLength);
        var last = (int)((end - 1) / Info.PieceLength);
        var buffer = ArrayPool<byte>.Shared.Rent(Info.PieceLength);
        try
        {
            for (var piece = first; piece <= last; piece++)
            {
                if (piece != first && piece != last && have?[piece] != true)
                {
                    continue;
                }

                var from = Math.Max(start, (long)piece * Info.PieceLength);
                var to = Math.Min(end, ((long)piece * Info.PieceLength) + Info.GetPieceSize(piece));
                var count = (int)(to - from);
                var read = await ReadSideAsync(from, buffer.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
                if (read < count)
                {
                    continue; // never written there
                }

                // Counted as a piece write is, so the resume stamps take the move of the file's time for ours.
                await WriteCountedAsync(index, buffer.AsMemory(0, count), from - start, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        // The copy is durable before the side file may be deleted or its bytes no longer read.
        Flush();
    }

    private async Task<int> ReadSideAsync(long position, Memory<byte> destination, CancellationToken cancellationToken)
    {
        OpenFile file;
        try
        {
            file = Acquire(SideIndex, write: false);
        }
        catch (TorrentStorageException ex) when (ex.InnerException is FileNotFoundException or DirectoryNotFoundException)
        {
            return 0;
        }

        try
        {
            var done = 0;
            while (done < destination.Length)
            {
                var read = await RandomAccess.ReadAsync(file.Handle, destination[done..], position + done, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                done += read;
            }

            return done;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Failure("read", SidePath!, ex);
        }
        finally
        {
            Release(file);
        }
    }

    private void DeleteSideFile()
    {
        var path = SidePath!;
        lock (_lock)
        {
            if (_open.TryGetValue(SideIndex, out var open))
            {
                Retire(open);
            }

            _dirtyFiles.Remove(SideIndex);
        }

        try
        {
            File.Delete(path);
            lock (_lock)
            {
                _changedFolders.Add(ContentRoot);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Failure("delete", path, ex);
        }
    }
}
