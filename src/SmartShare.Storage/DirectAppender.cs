using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace SmartShare.Storage;

/// <summary>
/// Appends to a file without copying its bytes into the page cache (Linux <c>O_DIRECT</c>): whole 4 KiB blocks go
/// from a block-aligned staging buffer straight to the disk through a second handle of the file, and only the last,
/// partial block of each append goes through the caller's ordinary handle, so the file always holds every byte
/// appended. The next append writes that block again, whole, directly.
/// </summary>
/// <remarks>
/// Why: a large download written through the page cache costs a copy per byte into freshly allocated cache pages, and
/// on a machine that returns free memory to its host (a VM with free page reporting) touching those new pages cost up
/// to ten times the copy: 1.8-3.1 s of kernel CPU per 512 MiB, against 0.1-0.3 s direct (see docs/architecture.md).
/// Appends are not thread-safe (one writer, in order). Where the file system refuses <c>O_DIRECT</c> (tmpfs on older
/// kernels, some FUSE file systems) or the system is not Linux, <see cref="TryOpen"/> returns null and the caller
/// writes as before.
/// </remarks>
public sealed unsafe partial class DirectAppender : IDisposable
{
    /// <summary>The block size direct writes are aligned to (offset, length and memory).</summary>
    public const int Alignment = 4096;

    /// <summary>How many bytes one direct write carries at most (the staging buffer's size).</summary>
    public const int StagingSize = 1024 * 1024;

    private const int WriteOnly = 0x1;
    private const int Direct = 0x4000; // O_DIRECT on x86-64 and arm64 Linux
    private const int CloseOnExec = 0x80000;

    private readonly SafeFileHandle _buffered;
    private readonly SafeFileHandle _direct;
    private byte* _staging;
    private int _tailLength; // bytes past the file's last whole block, kept at the start of the staging buffer

    private DirectAppender(SafeFileHandle buffered, SafeFileHandle direct, byte* staging)
    {
        _buffered = buffered;
        _direct = direct;
        _staging = staging;
    }

    /// <summary>
    /// A direct appender for the file at <paramref name="path"/>, open as <paramref name="buffered"/> (which must be
    /// readable when <paramref name="length"/> does not fall on a block boundary: the partial last block is read back),
    /// whose next byte goes at <paramref name="length"/>; null when direct writes are not available there.
    /// </summary>
    public static DirectAppender? TryOpen(string path, SafeFileHandle buffered, long length)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(buffered);
        if (!OperatingSystem.IsLinux() || !(RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64))
        {
            return null;
        }

        var fd = Open(path, WriteOnly | Direct | CloseOnExec);
        if (fd < 0)
        {
            return null;
        }

        var direct = new SafeFileHandle(fd, ownsHandle: true);
        var staging = (byte*)NativeMemory.AlignedAlloc(StagingSize, Alignment);
        var appender = new DirectAppender(buffered, direct, staging);
        try
        {
            var tail = (int)(length % Alignment);
            if (tail > 0 && RandomAccess.Read(buffered, new Span<byte>(staging, tail), length - tail) != tail)
            {
                appender.Dispose();
                return null;
            }

            appender._tailLength = tail;
            return appender;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            appender.Dispose();
            return null;
        }
    }

    /// <summary>Appends <paramref name="data"/> at <paramref name="length"/>, the file's length so far.</summary>
    /// <exception cref="IOException">The disk refused the write (full, failing).</exception>
    public void Append(ReadOnlySpan<byte> data, long length)
    {
        ObjectDisposedException.ThrowIf(_staging is null, this);
        if (data.IsEmpty)
        {
            return;
        }

        var blockStart = length - _tailLength;
        while (!data.IsEmpty)
        {
            var take = Math.Min(StagingSize - _tailLength, data.Length);
            data[..take].CopyTo(new Span<byte>(_staging + _tailLength, take));
            data = data[take..];
            var filled = _tailLength + take;
            var whole = filled & ~(Alignment - 1);
            if (whole > 0)
            {
                RandomAccess.Write(_direct, new ReadOnlySpan<byte>(_staging, whole), blockStart);
                blockStart += whole;
                _tailLength = filled - whole;
                new ReadOnlySpan<byte>(_staging + whole, _tailLength).CopyTo(new Span<byte>(_staging, _tailLength));
            }
            else
            {
                _tailLength = filled;
            }
        }

        if (_tailLength > 0)
        {
            // The partial last block through the page cache, so the file holds every byte appended.
            RandomAccess.Write(_buffered, new ReadOnlySpan<byte>(_staging, _tailLength), blockStart);
        }
    }

    /// <summary>Closes the direct handle and frees the staging buffer (the caller's handle stays open).</summary>
    public void Dispose()
    {
        _direct.Dispose();
        var staging = _staging;
        _staging = null;
        if (staging is not null)
        {
            NativeMemory.AlignedFree(staging);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);
}
