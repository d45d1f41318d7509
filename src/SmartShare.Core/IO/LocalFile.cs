using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using static SmartShare.IO.LinuxFiles;

namespace SmartShare.IO;

/// <summary>
/// Opens a path a user or an API caller names, for reading, only when it is a regular file. On Linux the type is
/// checked on the opened descriptor (so the answer is about what was opened, not what the path named a moment
/// before), the open does not wait for a FIFO's writer, and files on kernel pseudo file systems (/proc, /sys, …)
/// are refused, because their "size" says nothing and reading them can reveal the process's secrets.
/// </summary>
public static partial class LocalFile
{
    private const int ReadChunk = 64 * 1024;

    // Linux open flags and fstatfs constants (the shared ones are LinuxFiles'); identical on x86_64 and arm64.
    private const int ORdOnly = 0;
    private const int ONoCtty = 0x100;
    private const int ONonBlock = 0x800;
    private const int StatfsBufferSize = 256;
    private const int FGetFl = 3;
    private const int FSetFl = 4;

    private const int ENoEnt = 2;
    private const int ENxio = 6;
    private const int EAccess = 13;
    private const int EPerm = 1;
    private const int ENotDir = 20;
    private const int ELoop = 40;
    private const int ENameTooLong = 36;

    private const int SIfDir = 0x4000;
    private const int SIfChr = 0x2000;
    private const int SIfBlk = 0x6000;
    private const int SIfIfo = 0x1000;
    private const int SIfSock = 0xC000;

    // Kernel pseudo file systems (linux/magic.h): their files are not data a user means to share or parse.
    private static readonly Dictionary<long, string> PseudoFileSystems = new()
    {
        [0x9fa0] = "in /proc",
        [0x62656572] = "in /sys",
        [0x64626720] = "on debugfs",
        [0x74726163] = "on tracefs",
        [0x73636673] = "on securityfs",
        [0x27e0eb] = "on the cgroup file system",
        [0x63677270] = "on the cgroup2 file system",
        [0x6165676C] = "on pstore",
        [0xcafe4a11] = "on the BPF file system",
        [0x62656570] = "on configfs",
        [0xde5e81e4] = "on efivarfs",
        [0xf97cff8c] = "on selinuxfs",
        [0x65735543] = "on fusectl",
        [0x42494e4d] = "on binfmt_misc",
        [0x1cd1] = "on devpts",
    };

    private static volatile bool _noStatx;

    /// <summary>
    /// Opens <paramref name="path"/> for reading (symlinks followed) when it is a regular file; otherwise throws
    /// <see cref="LocalFileException"/> with a sentence naming the path and what it is.
    /// </summary>
    /// <param name="options">Used where the platform's own open is used (not Linux).</param>
    public static SafeFileHandle OpenRead(string path, FileOptions options = FileOptions.None)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (path.Contains('\0', StringComparison.Ordinal))
        {
            // The C string would end at the NUL and name another file than the one shown.
            throw new LocalFileException(path, $"There is no file at \"{path.Replace("\0", "\\0", StringComparison.Ordinal)}\": a path cannot hold a NUL character.");
        }

        if (OperatingSystem.IsLinux() && !_noStatx)
        {
            try
            {
                return OpenReadLinux(path);
            }
            catch (EntryPointNotFoundException)
            {
                // A C library without statx (glibc before 2.28, older musl); the path check always calls it first,
                // before anything is opened, so nothing leaks.
                _noStatx = true;
            }
        }

        return OpenReadPortable(path, options);
    }

    /// <summary>
    /// The whole of a small file, read through <see cref="OpenRead"/>: at most <paramref name="maxBytes"/> + 1 bytes
    /// are ever read, whatever size the file claims, and one more than the bound refuses it.
    /// </summary>
    /// <param name="notA">What the file cannot be when it is too large, such as "a .torrent file".</param>
    public static byte[] ReadAllWithin(string path, int maxBytes, string notA)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        ArgumentException.ThrowIfNullOrEmpty(notA);
        using var handle = OpenRead(path);
        var claimed = RandomAccess.GetLength(handle);
        if (claimed > maxBytes)
        {
            throw TooLarge(path, maxBytes, notA);
        }

        // Sized by what the file claims, grown (never past the bound plus one) if it holds more.
        var buffer = new byte[(int)Math.Min(claimed, maxBytes) + 1];
        var total = 0;
        while (true)
        {
            if (total == buffer.Length)
            {
                if (total > maxBytes)
                {
                    throw TooLarge(path, maxBytes, notA);
                }

                Array.Resize(ref buffer, (int)Math.Min((long)maxBytes + 1, Math.Max(buffer.Length * 2L, buffer.Length + ReadChunk)));
            }

            var read = Read(handle, path, buffer.AsSpan(total), total);
            if (read == 0)
            {
                return buffer.AsSpan(0, total).ToArray();
            }

            total += read;
        }
    }

    private static int Read(SafeFileHandle handle, string path, Span<byte> into, long offset)
    {
        try
        {
            return RandomAccess.Read(handle, into, offset);
        }
        catch (IOException ex)
        {
            throw new LocalFileException(path, $"\"{path}\" could not be read: {ex.Message}", ex);
        }
    }

    private static LocalFileException TooLarge(string path, int maxBytes, string notA) =>
        new(path, $"\"{path}\" is larger than {maxBytes} bytes, so it is not {notA}.");

    private static unsafe SafeFileHandle OpenReadLinux(string path)
    {
        // Refuse what the path names before opening it: opening some devices has effects of its own. The check on the
        // descriptor below is the one that counts; this one only spares the open.
        var pathMode = PathMode(path);
        if (pathMode is { } mode && (mode & SIfMt) != SIfReg)
        {
            throw NotRegular(path, mode);
        }

        var fd = Open(path, ORdOnly | ONonBlock | OCloExec | ONoCtty);
        if (fd < 0)
        {
            throw OpenFailed(path, Marshal.GetLastPInvokeError());
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            var statx = stackalloc byte[StatxBufferSize];
            if (Statx(fd, string.Empty, AtEmptyPath, StatxType | StatxSize, statx) != 0)
            {
                throw OpenFailed(path, Marshal.GetLastPInvokeError());
            }

            var fileMode = *(ushort*)(statx + StatxModeOffset);
            if ((fileMode & SIfMt) != SIfReg)
            {
                throw NotRegular(path, fileMode);
            }

            var statfs = stackalloc byte[StatfsBufferSize];
            if (Fstatfs(fd, statfs) != 0)
            {
                throw OpenFailed(path, Marshal.GetLastPInvokeError());
            }

            if (PseudoFileSystems.TryGetValue(*(long*)statfs, out var where))
            {
                throw new LocalFileException(path, $"\"{path}\" is {where} (a pseudo file system), not a regular file on disk; SmartShare does not read such files.");
            }

            // O_NONBLOCK only served the open; reads of a regular file should behave as usual.
            var flags = Fcntl(fd, FGetFl, 0);
            if (flags >= 0)
            {
                _ = Fcntl(fd, FSetFl, flags & ~ONonBlock);
            }

            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    // The type of what the path names (symlinks followed), or null when it cannot be told; then the open decides.
    private static unsafe int? PathMode(string path)
    {
        var statx = stackalloc byte[StatxBufferSize];
        return Statx(AtFdCwd, path, 0, StatxType, statx) == 0 ? *(ushort*)(statx + StatxModeOffset) : null;
    }

    private static SafeFileHandle OpenReadPortable(string path, FileOptions options)
    {
        if (Directory.Exists(path))
        {
            throw NotRegular(path, SIfDir);
        }

        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, options);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new LocalFileException(path, $"There is no file at \"{path}\".", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new LocalFileException(path, $"Permission to read \"{path}\" was denied.", ex);
        }
        catch (IOException ex)
        {
            throw new LocalFileException(path, $"\"{path}\" could not be opened: {ex.Message}", ex);
        }
    }

    private static LocalFileException NotRegular(string path, int mode)
    {
        var what = (mode & SIfMt) switch
        {
            SIfDir => "a folder",
            SIfIfo => "a FIFO (named pipe)",
            SIfChr => "a character device",
            SIfBlk => "a block device",
            SIfSock => "a socket",
            _ => "not a regular file",
        };
        return new LocalFileException(
            path,
            what == "not a regular file"
                ? $"\"{path}\" is not a regular file; SmartShare reads only regular files."
                : $"\"{path}\" is {what}, not a regular file; SmartShare reads only regular files.");
    }

    private static LocalFileException OpenFailed(string path, int errno)
    {
        var message = errno switch
        {
            ENoEnt or ENotDir => $"There is no file at \"{path}\".",
            EAccess or EPerm => $"Permission to read \"{path}\" was denied.",
            ELoop => $"\"{path}\" is a symbolic link that loops (or too many links deep); it names no file.",
            ENameTooLong => $"The path \"{path}\" is too long.",

            // A socket (or a device with no driver behind it) cannot be opened as a file at all.
            ENxio => PathMode(path) is { } mode && (mode & SIfMt) != SIfReg
                ? NotRegular(path, mode).Message
                : $"\"{path}\" is not a regular file; SmartShare reads only regular files.",
            _ => $"\"{path}\" could not be opened: {Marshal.GetPInvokeErrorMessage(errno)}.",
        };
        // A missing file keeps the type .NET gives it inside, for callers to whom "missing" is a normal state.
        Exception inner = errno switch
        {
            ENoEnt => new FileNotFoundException(message, path),
            ENotDir => new DirectoryNotFoundException(message),
            _ => new IOException(Marshal.GetPInvokeErrorMessage(errno), errno),
        };
        return new LocalFileException(path, message, inner);
    }

    [LibraryImport("libc", EntryPoint = "fstatfs", SetLastError = true)]
    private static unsafe partial int Fstatfs(int fd, byte* buffer);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);
}
