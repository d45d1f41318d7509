using System.Runtime.InteropServices;

namespace SmartShare.IO;

/// <summary>
/// The Linux calls and constants the file code shares (<see cref="LocalFile"/>, <see cref="FileStamp"/>,
/// <see cref="DirectWriter"/>): <c>open</c>, <c>statx</c> and the layout of its answer (linux/stat.h, the same on every
/// architecture).
/// </summary>
internal static unsafe partial class LinuxFiles
{
    public const int OCloExec = 0x80000;
    public const int AtFdCwd = -100;
    public const int AtSymlinkNoFollow = 0x100;
    public const int AtEmptyPath = 0x1000;

    public const uint StatxType = 0x1;
    public const uint StatxMtime = 0x40;
    public const uint StatxCtime = 0x80;
    public const uint StatxSize = 0x200;
    public const int StatxBufferSize = 256;
    public const int StatxModeOffset = 28;
    public const int StatxSizeOffset = 40;
    public const int StatxCtimeOffset = 96;
    public const int StatxMtimeOffset = 112;

    public const int SIfMt = 0xF000;
    public const int SIfReg = 0x8000;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Statx(int dirfd, string path, int flags, uint mask, byte* buffer);
}
