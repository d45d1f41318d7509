using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.IO;
using SmartShare.Storage;

namespace SmartShare.BitTorrent.Storage;

/// <summary>
/// The files of one torrent under a content folder. Only whole, verified pieces are written; each is split across the
/// files it covers and written with positional writes, so pieces may arrive in any order and from many threads.
/// Open handles are kept in a small LRU (at most <c>maxOpenFiles</c>), shared by concurrent reads and writes.
/// </summary>
/// <remarks>
/// Handles are synchronous on Unix and overlapped on Windows. On Unix the runtime has no asynchronous file I/O: an
/// asynchronous <see cref="RandomAccess"/> call runs <c>pread</c>/<c>pwrite</c> on the thread pool whatever the
/// handle's flag, so <see cref="FileOptions.Asynchronous"/> buys nothing there; on Windows it gives true overlapped
/// I/O, and since every file is set to its final length when created, overlapped writes never extend a file (which
/// would make Windows run them synchronously).
/// </remarks>
public sealed partial class TorrentStorage : IDisposable
{
    private static readonly FileOptions HandleOptions = OperatingSystem.IsWindows() ? FileOptions.Asynchronous : FileOptions.None;

    private readonly long[] _offsets;
    private readonly long[] _lengths;
    private readonly int _maxOpenFiles;
    private readonly Lock _lock = new();
    private readonly Dictionary<int, OpenFile> _open = [];
    private readonly LinkedList<OpenFile> _recent = new(); // most recently used first
    private readonly HashSet<int> _dirtyFiles = [];
    private readonly long[] _fileWrites; // guarded by _lock
    private readonly int[] _fileWritesInFlight; // guarded by _lock
    private readonly HashSet<string> _changedFolders = new(StringComparer.Ordinal);
    private bool _disposed;
    private long _fileFlushes;

    /// <param name="incompleteNames">
    /// Whether a file still being downloaded lives under its name plus <see cref="IncompleteSuffix"/> until the torrent
    /// completes (a download); false (the default) for data seeded in place (a share), whose files must never be renamed.
    /// </param>
    public TorrentStorage(TorrentInfo info, string contentRoot, string? rootName = null, int maxOpenFiles = 64, bool incompleteNames = false)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentException.ThrowIfNullOrEmpty(contentRoot);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxOpenFiles, 1);
        if (info.Files.Count == 0 || (info.IsSingleFile && info.Files.Count != 1))
        {
            throw new ArgumentException($"The torrent \"{info.Name}\" lists {info.Files.Count} files, which does not fit its layout.", nameof(info));
        }

        Info = info;
        _incompleteNames = incompleteNames;
        _maxOpenFiles = maxOpenFiles;
        ContentRoot = Path.GetFullPath(contentRoot);
        var name = rootName ?? info.Name;
        CheckComponent(name, name);
        RootPath = Under(ContentRoot, [name]);

        var paths = new string[info.Files.Count];
        _partPaths = new string[paths.Length];
        _atFinalName = new bool[paths.Length];
        _offsets = new long[paths.Length];
        _lengths = new long[paths.Length];
        _fileWrites = new long[paths.Length];
        _fileWritesInFlight = new int[paths.Length];
        var seen = new HashSet<string>(OperatingSystem.IsLinux() ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < paths.Length; i++)
        {
            var file = info.Files[i];
            if (info.IsSingleFile)
            {
                paths[i] = RootPath;
                _partPaths[i] = Under(ContentRoot, [name + IncompleteSuffix]);
            }
            else
            {
                if (file.Path.Count == 0)
                {
                    throw new TorrentStorageException($"Refusing to store torrent \"{name}\": file {i + 1} has no name.", (string?)null);
                }

                var parts = new List<string>(file.Path.Count + 1) { name };
                foreach (var component in file.Path)
                {
                    CheckComponent(name, component);
                    parts.Add(component);
                }

                paths[i] = Under(ContentRoot, parts);
                parts[^1] += IncompleteSuffix;
                _partPaths[i] = Under(ContentRoot, parts);
            }

            if (!seen.Add(paths[i]))
            {
                throw new TorrentStorageException($"Refusing to store torrent \"{name}\": it lists the file {paths[i]} twice.", paths[i]);
            }


            _offsets[i] = file.Offset;
            _lengths[i] = file.Length;
        }

        FilePaths = paths;
        if (incompleteNames)
        {
            CheckIncompleteNames(name, seen);
        }

        FindNames();
    }

    public TorrentInfo Info { get; }

    /// <summary>The full path of the folder the torrent lives in.</summary>
    public string ContentRoot { get; }

    /// <summary>The full path of the file (single-file torrent) or of the top folder (multi-file torrent).</summary>
    public string RootPath { get; }

    /// <summary>
    /// The full final path of each file, in the order of <see cref="TorrentInfo.Files"/>; while the torrent downloads a
    /// file is at <see cref="CurrentPath"/> (this path plus <see cref="IncompleteSuffix"/>).
    /// </summary>
    public IReadOnlyList<string> FilePaths { get; }

    /// <summary>
    /// Writes a whole verified piece where it belongs, across the files it covers. Folders and files are created on
    /// first write and each file is set (sparse) to its final length.
    /// </summary>
    /// <exception cref="TorrentStorageException">A file cannot be created or written; <see cref="TorrentStorageException.IsDiskFull"/> when the disk is full.</exception>
    public async ValueTask WritePieceAsync(int piece, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var size = Info.GetPieceSize(piece);
        if (data.Length != size)
        {
            throw new ArgumentException($"Piece {piece} is {size} bytes, not {data.Length}.", nameof(data));
        }

        await EnterWriteAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await WriteSegmentsAsync(piece, data, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ExitWrite();
        }
    }

    private async ValueTask WriteSegmentsAsync(int piece, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var position = (long)piece * Info.PieceLength;
        var index = FindFile(position);
        while (!data.IsEmpty)
        {
            var padding = PaddingAt(position, index, data.Length);
            if (padding > 0)
            {
                // A hybrid torrent's pad bytes: zeros by definition, never stored.
                position += padding;
                data = data[padding..];
                continue;
            }

            var within = position - _offsets[index];
            var available = _lengths[index] - within;
            if (available <= 0)
            {
                index++;
                continue;
            }

            var count = (int)Math.Min(available, data.Length);
            var (target, at) = Route(index, within);

            await WriteCountedAsync(target, data[..count], at, cancellationToken).ConfigureAwait(false);

            position += count;
            data = data[count..];
            index++;
        }
    }

    // One write of ours into a file (or the side file), counted for the resume stamps: before the file may be created
    // or sized, so no stamp taken meanwhile sees a change of ours as one behind our back, and as under way until its
    // bytes have landed.
    private async ValueTask WriteCountedAsync(int target, ReadOnlyMemory<byte> data, long at, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            CountWriteLocked(target);
        }

        try
        {
            var file = Acquire(target, write: true);
            try
            {
                lock (_lock)
                {
                    _dirtyFiles.Add(target);
                }

                if (BeforeWriteLandsForTests is { } beforeWrite)
                {
                    await beforeWrite().ConfigureAwait(false);
                }

                await ChunkedWrite.WriteAsync(file.Handle, data, at, cancellationToken).ConfigureAwait(false);

                // A flush that took the dirty set while this write was under way may have synced before it landed:
                // marking again makes the next flush cover it, so a piece recorded after that flush is on disk.
                lock (_lock)
                {
                    _dirtyFiles.Add(target);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw Failure("write to", PathOf(target), ex);
            }
            finally
            {
                Release(file);
            }
        }
        finally
        {
            lock (_lock)
            {
                EndWriteLocked(target);
            }
        }
    }

    /// <summary>Reads <paramref name="destination"/>.Length bytes starting at a torrent-wide offset, across files.</summary>
    /// <exception cref="TorrentStorageException">A file is missing, shorter than it should be, or cannot be read.</exception>
    public async ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        var problem = await TryReadAsync(offset, destination, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            throw new TorrentStorageException(problem.Value.Sentence, problem.Value.Path);
        }
    }

    /// <summary>
    /// Creates every folder of the torrent and its zero-length files (pieces never cover those); with a selection, only
    /// those of the files it wants (or that exist already).
    /// </summary>
    public Task EnsureFilesAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        for (var i = 0; i < FilePaths.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var path = FilePaths[i];
            if (IsUnwanted(i) && (_lengths[i] == 0 || IsInSideFile(i)))
            {
                continue;
            }

            try
            {
                RefuseLinks(path);
                CreateFolders(Path.GetDirectoryName(path)!);
                if (_lengths[i] == 0 && !File.Exists(path))
                {
                    using (File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
                    {
                    }

                    lock (_lock)
                    {
                        _changedFolders.Add(Path.GetDirectoryName(path)!);
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw Failure("create", path, ex);
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>Whether anything (file or folder) exists at <see cref="RootPath"/>, or at its incomplete name (a single file).</summary>
    public bool Exists() => Path.Exists(RootPath) || (Info.IsSingleFile && Path.Exists(_partPaths[0]));

    /// <summary>Closes the open handles; handles in use by a running read or write close when it ends.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            while (_recent.First is { } node)
            {
                Retire(node.Value);
            }
        }
    }

    /// <summary>
    /// Closes the cached handles (those in use close when their read or write ends), so that the next access sees
    /// files replaced or deleted behind the storage's back.
    /// </summary>
    public void CloseIdleHandles()
    {
        lock (_lock)
        {
            while (_recent.First is { } node)
            {
                Retire(node.Value);
            }
        }
    }

    /// <summary>How many handles are open now (for tests).</summary>
    internal int OpenHandleCount
    {
        get
        {
            lock (_lock)
            {
                return _open.Count;
            }
        }
    }

    /// <summary>Reads across files; returns why not (naming the file) when a file is missing or short.</summary>
    internal async ValueTask<(string Sentence, string Path)?> TryReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (offset + destination.Length > Info.TotalLength)
        {
            throw new ArgumentOutOfRangeException(
                nameof(destination), $"Reading {destination.Length} bytes at {offset} goes past the torrent's {Info.TotalLength} bytes.");
        }

        var position = offset;
        var index = FindFile(position);
        while (!destination.IsEmpty)
        {
            var padding = PaddingAt(position, index, destination.Length);
            if (padding > 0)
            {
                destination.Span[..padding].Clear();
                position += padding;
                destination = destination[padding..];
                continue;
            }

            var within = position - _offsets[index];
            var available = _lengths[index] - within;
            if (available <= 0)
            {
                index++;
                continue;
            }

            var count = (int)Math.Min(available, destination.Length);
            var (target, at) = Route(index, within);
            var path = PathOf(target);
            OpenFile file;
            try
            {
                file = Acquire(target, write: false);
            }
            catch (TorrentStorageException ex) when (ex.InnerException is FileNotFoundException or DirectoryNotFoundException)
            {
                return ($"The file {path} of torrent \"{Info.Name}\" is missing.", path);
            }

            try
            {
                var done = 0;
                while (done < count)
                {
                    var read = await RandomAccess.ReadAsync(file.Handle, destination[done..count], at + done, cancellationToken).ConfigureAwait(false);
                    if (read == 0)
                    {
                        return target == SideIndex
                            ? ($"The side file {path} of torrent \"{Info.Name}\" does not hold the bytes of {CurrentPath(index)} asked for.", path)
                            : ($"The file {path} of torrent \"{Info.Name}\" is shorter than its {_lengths[index]} bytes.", path);
                    }

                    done += read;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw Failure("read", path, ex);
            }
            finally
            {
                Release(file);
            }

            position += count;
            destination = destination[count..];
            index++;
        }

        return null;
    }

    private static TorrentStorageException Failure(string verb, string path, Exception ex) =>
        DiskErrors.IsDiskFull(ex)
            ? new TorrentStorageException(
                DiskErrors.PausedSentence(Path.GetDirectoryName(path) ?? path), path, isDiskFull: true, ex)
            : new TorrentStorageException($"Cannot {verb} {path}: {ex.Message}", path, isDiskFull: false, ex);

    private static void CheckComponent(string torrentName, string component)
    {
        if (TorrentPaths.IsUnsafe(component, out var problem))
        {
            throw new TorrentStorageException(
                $"Refusing to store torrent \"{Shorten(torrentName)}\": a file name component {problem}.", (string?)null);
        }
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : string.Concat(text.AsSpan(0, 80), "...");

    // The components are checked one by one already; the full path is checked again so that nothing can leave the folder.
    private static string Under(string root, IReadOnlyList<string> parts)
    {
        var full = Path.GetFullPath(Path.Join([root, .. parts]));
        var rootWithSeparator = Path.EndsInDirectorySeparator(root) ? root : root + Path.DirectorySeparatorChar;
        if (!full.StartsWith(rootWithSeparator, StringComparison.Ordinal))
        {
            throw new TorrentStorageException($"Refusing to store a torrent file at {full}: it would not stay under {root}.", full);
        }

        return full;
    }

    // How many of the next `count` bytes at `position` are padding (between files of a hybrid torrent, or after the
    // last one) when file `index` is the next file to hold bytes there: 0 when `position` is inside or past its start.
    private int PaddingAt(long position, int index, int count) =>
        index >= _offsets.Length ? count
        : position < _offsets[index] ? (int)Math.Min(_offsets[index] - position, count)
        : 0;

    // The file holding torrent byte `position`: the last file starting at or before it (zero-length files are skipped
    // by the callers, since they hold no bytes).
    private int FindFile(long position)
    {
        int low = 0, high = _offsets.Length - 1;
        while (low < high)
        {
            var middle = (low + high + 1) / 2;
            if (_offsets[middle] <= position)
            {
                low = middle;
            }
            else
            {
                high = middle - 1;
            }
        }

        // Several files may start at `position` (zero-length ones first); begin at the first of them.
        while (low > 0 && _offsets[low - 1] == _offsets[low] && _offsets[low] == position)
        {
            low--;
        }

        return low;
    }
}
