using Microsoft.Win32.SafeHandles;
using SmartShare.IO;
using SmartShare.Storage;

namespace SmartShare.BitTorrent.Storage;

/// <summary>
/// The files of <see cref="TorrentStorage"/> on disk: making writes durable (fsync of files and folder entries), and
/// the handle cache: acquiring, sharing, retiring and closing file handles (an LRU of
/// at most <c>maxOpenFiles</c>), opening files for reading and for writing without following symbolic links, and
/// creating the folders on the way while remembering which entries must be made durable.
/// </summary>
public sealed partial class TorrentStorage
{
    /// <summary>Makes every file written since the last flush, and the folder entries created, durable (fsync).</summary>
    public void Flush()
    {
        int[] files;
        string[] folders;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            files = [.. _dirtyFiles];
            folders = [.. _changedFolders];
            _dirtyFiles.Clear();
            _changedFolders.Clear();
        }

        FlushNow(files, folders);
    }

    /// <summary>
    /// What a record of verified pieces needs before it is saved: the files in <paramref name="vouched"/> (those whose
    /// stamps it records, which vouch for their pieces at the next start) written since their last flush are made
    /// durable, with the folder entries created, as <see cref="Flush"/> does. The other files written since are not waited
    /// for (no stamp of theirs vouches for anything: their recorded pieces are hashed at the next start): their writeback
    /// is only started, so that the flush which will vouch for them finds little left to write.
    /// </summary>
    public void FlushVouched(IReadOnlySet<int> vouched)
    {
        ArgumentNullException.ThrowIfNull(vouched);
        int[] files;
        string[] folders;
        List<OpenFile> started = [];
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            files = [.. _dirtyFiles.Where(vouched.Contains)];
            folders = vouched.Count > 0 ? [.. _changedFolders] : [];
            _dirtyFiles.ExceptWith(files);
            if (folders.Length > 0)
            {
                _changedFolders.Clear();
            }

            foreach (var index in _dirtyFiles)
            {
                if (!vouched.Contains(index) && _open.TryGetValue(index, out var open) && open.Writable)
                {
                    started.Add(Use(open));
                }
            }
        }

        foreach (var open in started)
        {
            try
            {
                FileDurability.StartWriteback(open.Handle);
            }
            finally
            {
                Release(open);
            }
        }

        FlushNow(files, folders);
    }

    /// <summary>How many times a file's data was flushed to disk (fsync) since the storage was made.</summary>
    internal long FileFlushes => Interlocked.Read(ref _fileFlushes);

    private void FlushNow(int[] files, string[] folders)
    {
        var flushed = 0;
        try
        {
            foreach (var index in files)
            {
                FlushFile(index);
                Interlocked.Increment(ref _fileFlushes);
                flushed++;
            }

            foreach (var folder in folders)
            {
                try
                {
                    FileDurability.FlushDirectory(folder);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    throw Failure("flush the folder", folder, ex);
                }
            }
        }
        catch (TorrentStorageException)
        {
            // What was not flushed stays owed to the next flush.
            lock (_lock)
            {
                _dirtyFiles.UnionWith(files.Skip(flushed));
                _changedFolders.UnionWith(folders);
            }

            throw;
        }
    }

    // fsync through the cached handle, or a handle opened for it when the LRU closed that one; a file deleted since has
    // nothing left to flush (and must not be created again here).
    private void FlushFile(int index)
    {
        var path = PathOf(index);
        OpenFile? cached;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            cached = _open.TryGetValue(index, out var file) && file.Writable ? Use(file) : null;
        }

        try
        {
            if (cached is not null)
            {
                RandomAccess.FlushToDisk(cached.Handle);
                return;
            }

            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            RandomAccess.FlushToDisk(handle);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Failure("flush", path, ex);
        }
        finally
        {
            if (cached is not null)
            {
                Release(cached);
            }
        }
    }

    private OpenFile Acquire(int index, bool write)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_open.TryGetValue(index, out var cached) && (cached.Writable || !write))
            {
                return Use(cached);
            }
        }

        // Opening may create folders and extend the file, so it happens outside the lock.
        var handle = write ? OpenForWrite(index) : OpenForRead(index);
        lock (_lock)
        {
            if (_disposed)
            {
                handle.Dispose();
                throw new ObjectDisposedException(GetType().FullName);
            }

            if (_open.TryGetValue(index, out var raced))
            {
                if (raced.Writable || !write)
                {
                    handle.Dispose();
                    return Use(raced);
                }

                Retire(raced);
            }

            var file = new OpenFile(index, handle, write);
            _open[index] = file;
            _recent.AddFirst(file.Node);
            while (_open.Count > _maxOpenFiles)
            {
                Retire(_recent.Last!.Value);
            }

            file.Users = 1;
            return file;
        }
    }

    private OpenFile Use(OpenFile file)
    {
        file.Users++;
        _recent.Remove(file.Node);
        _recent.AddFirst(file.Node);
        return file;
    }

    private void Release(OpenFile file)
    {
        lock (_lock)
        {
            file.Users--;
            if (file.Retired && file.Users == 0)
            {
                file.Handle.Dispose();
            }
        }
    }

    // Called under the lock: drops the handle from the cache and closes it once nobody uses it.
    private void Retire(OpenFile file)
    {
        _open.Remove(file.Index);
        _recent.Remove(file.Node);
        file.Retired = true;
        if (file.Users == 0)
        {
            file.Handle.Dispose();
        }
    }

    private SafeFileHandle OpenForRead(int index)
    {
        var path = PathOf(index);
        try
        {
            // A regular file only: a seeded file replaced by a FIFO must not block a thread, nor a device feed peers.
            return LocalFile.OpenRead(path, HandleOptions);
        }
        catch (LocalFileException ex) when (ex.InnerException is FileNotFoundException && PathOf(index) != path)
        {
            // Renamed to its final name between choosing the path and opening it.
            return OpenForRead(index);
        }
        catch (LocalFileException ex) when (ex.InnerException is FileNotFoundException or DirectoryNotFoundException)
        {
            // Missing is a state readers handle ("the file is missing"), told apart by the inner exception's type.
            throw Failure("open", path, ex.InnerException);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Failure("open", path, ex);
        }
    }

    private SafeFileHandle OpenForWrite(int index)
    {
        var path = PathOf(index);
        try
        {
            var folder = Path.GetDirectoryName(path)!;
            RefuseLinks(path);
            CreateFolders(folder);
            var existed = File.Exists(path);
            var handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, HandleOptions);
            try
            {
                // Sparse on file systems that allow it; a file of the right length also lets a recheck read every piece.
                // The side file is sparse and grows as bytes land at their torrent offsets.
                if (index != SideIndex && RandomAccess.GetLength(handle) != _lengths[index])
                {
                    RandomAccess.SetLength(handle, _lengths[index]);
                }
            }
            catch
            {
                handle.Dispose();
                throw;
            }

            if (!existed)
            {
                lock (_lock)
                {
                    _changedFolders.Add(folder);
                }
            }

            return handle;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Failure("create", path, ex);
        }
    }

    // The path is checked by name to stay under the content folder, but a symbolic link already on disk below it (the
    // torrent's folder, a subfolder, the file itself) could still send a write anywhere; writing refuses to follow one.
    private void RefuseLinks(string path)
    {
        var current = ContentRoot;
        foreach (var part in Path.GetRelativePath(ContentRoot, path).Split(Path.DirectorySeparatorChar))
        {
            current = Path.Join(current, part);
            var entry = new FileInfo(current);
            if (entry.LinkTarget is { } target)
            {
                throw new TorrentStorageException(
                    $"Refusing to write {path}: {current} is a link (to {target}), which could lead outside {ContentRoot}.", path);
            }

            if (!entry.Exists && !Directory.Exists(current))
            {
                return;
            }
        }
    }

    // Creates `folder` and its missing parents, remembering whose entries changed so Flush can make them durable.
    private void CreateFolders(string folder)
    {
        if (Directory.Exists(folder))
        {
            return;
        }

        var missing = new List<string>();
        for (var current = folder; current is not null && !Directory.Exists(current); current = Path.GetDirectoryName(current))
        {
            missing.Add(current);
        }

        Directory.CreateDirectory(folder);
        lock (_lock)
        {
            foreach (var created in missing)
            {
                if (Path.GetDirectoryName(created) is { } parent)
                {
                    _changedFolders.Add(parent);
                }
            }
        }
    }

    private sealed class OpenFile
    {
        public OpenFile(int index, SafeFileHandle handle, bool writable)
        {
            Index = index;
            Handle = handle;
            Writable = writable;
            Node = new LinkedListNode<OpenFile>(this);
        }

        public int Index { get; }

        public SafeFileHandle Handle { get; }

        public bool Writable { get; }

        public LinkedListNode<OpenFile> Node { get; }

        public int Users { get; set; }

        public bool Retired { get; set; }
    }
}
