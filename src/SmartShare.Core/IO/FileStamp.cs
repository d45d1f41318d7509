using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using static SmartShare.IO.LinuxFiles;

namespace SmartShare.IO;

/// <summary>
/// What a file looked like on disk when its content was known good: its size and last-write time (UTC ticks), and, in
/// a strict stamp (<see cref="Strict(SafeFileHandle)"/>, Linux), its inode change time too. A torrent file whose stamp
/// still matches at the next start has its recorded pieces taken without hashing them; a stream's plain file whose
/// stamp matches the one its share or download vouched for is held without rebuilding every blob, and, when that stamp
/// is strict, served without hashing each blob the first time. <see cref="Unknown"/> (a file not on disk, held in the
/// side file, or changed behind the node's back) matches nothing, so the content is checked.
/// <para>
/// The change time is what makes a stamp strict: a program can put a file's modification time back after writing
/// it (<c>touch -d</c>, <c>utimensat</c>), but not its change time, which the kernel sets to the clock's time at every
/// write, truncation, time change, rename or permission change. A strict stamp still cannot see a write that lands in
/// the same clock tick as the stamp (file systems keep coarse times), nor a disk that changes bytes by itself.
/// </para>
/// </summary>
public readonly record struct FileStamp(long Length, long LastWriteUtcTicks, long ChangeUtcTicks = 0)
{
    private const int EncodedSize = 16;

    private const uint StatxWanted = StatxType | StatxMtime | StatxCtime | StatxSize;

    private static volatile bool _noStatx;

    /// <summary>
    /// How close to a moment a file's time must lie for a write in that moment to have left it unchanged: a clock tick,
    /// or a coarse file system's time granularity (git's "racy" entries).
    /// </summary>
    public static TimeSpan RacyWindow { get; } = TimeSpan.FromSeconds(3);

    /// <summary>No stamp: the file's recorded pieces are hashed at the next start.</summary>
    public static FileStamp Unknown { get; } = new(-1, 0);

    public bool IsKnown => Length >= 0;

    /// <summary>Whether the stamp holds the file's change time, so that no program could have put it back (see above).</summary>
    public bool IsStrict => IsKnown && ChangeUtcTicks != 0;

    /// <summary>
    /// Whether this stamp vouches for a file now stamped <paramref name="current"/>: the same length and times (the
    /// change time compared only when this stamp holds one, as stamps recorded before it was kept do not).
    /// </summary>
    public bool Vouches(FileStamp current) =>
        IsKnown && Length == current.Length && LastWriteUtcTicks == current.LastWriteUtcTicks
        && (ChangeUtcTicks == 0 || ChangeUtcTicks == current.ChangeUtcTicks);

    /// <summary>
    /// This stamp of a file read from <paramref name="readFrom"/> on, as a voucher for what was read: not strict when
    /// the file changed within <see cref="RacyWindow"/> of that moment, since a write just after the read began could
    /// have left its times as they were.
    /// </summary>
    public FileStamp SettledBefore(DateTimeOffset readFrom) =>
        IsStrict && ChangeUtcTicks > readFrom.UtcTicks - RacyWindow.Ticks ? this with { ChangeUtcTicks = 0 } : this;

    /// <summary>The file at <paramref name="path"/> as it is now (not following a symbolic link), or <see cref="Unknown"/>.</summary>
    public static FileStamp Of(string path) => OfFileInfo(path, followLinks: false);

    /// <summary>The open file as it is now.</summary>
    public static FileStamp Of(SafeFileHandle handle) =>
        new(RandomAccess.GetLength(handle), File.GetLastWriteTimeUtc(handle).Ticks);

    /// <summary>
    /// The open file as it is now, with its change time where the system gives one (Linux); elsewhere the same as
    /// <see cref="Of(SafeFileHandle)"/>.
    /// </summary>
    public static unsafe FileStamp Strict(SafeFileHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (OperatingSystem.IsLinux() && !_noStatx)
        {
            var added = false;
            try
            {
                handle.DangerousAddRef(ref added);
                if (TryStatx((int)handle.DangerousGetHandle(), string.Empty, AtEmptyPath, out var stamp))
                {
                    return stamp;
                }
            }
            finally
            {
                if (added)
                {
                    handle.DangerousRelease();
                }
            }
        }

        return Of(handle);
    }

    /// <summary>
    /// The regular file at <paramref name="path"/> as it is now, with its change time where the system gives one, or
    /// <see cref="Unknown"/>. A symbolic link stamps as the file it names when <paramref name="followLinks"/>, else as
    /// <see cref="Unknown"/>.
    /// </summary>
    public static FileStamp Strict(string path, bool followLinks = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Contains('\0', StringComparison.Ordinal))
        {
            return Unknown; // No file has such a name (the C string would end at the NUL and name another).
        }

        if (OperatingSystem.IsLinux() && !_noStatx && TryStatx(AtFdCwd, path, followLinks ? 0 : AtSymlinkNoFollow, out var stamp))
        {
            return stamp;
        }

        return OfFileInfo(path, followLinks);
    }

    // .NET's reading of length and modification time (no change time): where there is no statx.
    private static FileStamp OfFileInfo(string path, bool followLinks)
    {
        try
        {
            var file = new FileInfo(path);
            return file.Exists && (followLinks || file.LinkTarget is null) ? new FileStamp(file.Length, file.LastWriteTimeUtc.Ticks) : Unknown;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Unknown;
        }
    }

    // One statx call; false (the caller falls back to .NET's own calls) when there is none or it did not answer all of
    // it. A path that names nothing, or no regular file, stamps Unknown.
    private static unsafe bool TryStatx(int dirfd, string path, int flags, out FileStamp stamp)
    {
        stamp = Unknown;
        var buffer = stackalloc byte[StatxBufferSize];
        int result;
        try
        {
            result = LinuxFiles.Statx(dirfd, path, flags, StatxWanted, buffer);
        }
        catch (EntryPointNotFoundException)
        {
            _noStatx = true;
            return false;
        }

        if (result != 0)
        {
            return dirfd == AtFdCwd;
        }

        if ((*(uint*)buffer & StatxWanted) != StatxWanted)
        {
            return false;
        }

        if ((*(ushort*)(buffer + StatxModeOffset) & SIfMt) == SIfReg)
        {
            stamp = new FileStamp(
                checked((long)*(ulong*)(buffer + StatxSizeOffset)), TicksOf(buffer + StatxMtimeOffset), TicksOf(buffer + StatxCtimeOffset));
        }

        return true;
    }

    // A statx_timestamp (seconds since 1970, then nanoseconds) as UTC ticks, as .NET turns a file's times into them.
    private static unsafe long TicksOf(byte* timestamp) =>
        DateTime.UnixEpoch.Ticks + (*(long*)timestamp * TimeSpan.TicksPerSecond) + (*(uint*)(timestamp + 8) / 100);

    /// <summary>Stamps as bytes, 16 each (a torrent's resume record keeps its files' stamps so): length and modification time, not the change time.</summary>
    public static byte[] Encode(IReadOnlyList<FileStamp> stamps)
    {
        var bytes = new byte[stamps.Count * EncodedSize];
        for (var i = 0; i < stamps.Count; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * EncodedSize), stamps[i].Length);
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan((i * EncodedSize) + 8), stamps[i].LastWriteUtcTicks);
        }

        return bytes;
    }

    /// <summary>Hostile or stale bytes (another file count, a torn value) decode to null: the content is checked as before.</summary>
    public static FileStamp[]? Decode(byte[] bytes, int fileCount)
    {
        if (fileCount == 0 || bytes.Length != fileCount * EncodedSize)
        {
            return null;
        }

        var stamps = new FileStamp[fileCount];
        for (var i = 0; i < fileCount; i++)
        {
            var length = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(i * EncodedSize));
            var ticks = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan((i * EncodedSize) + 8));
            stamps[i] = length >= 0 ? new FileStamp(length, ticks) : Unknown;
        }

        return stamps;
    }
}
