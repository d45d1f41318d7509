using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace SmartShare.IO;

/// <summary>
/// Writes a file's whole 4 KiB blocks past the page cache (Linux <c>O_DIRECT</c>, through a second descriptor of the
/// same open file), and the partial blocks at either end of a write through the file's own handle. A write then costs
/// the kernel no page-cache memory: on a VM that hands its free memory back to the host (free page reporting), the
/// first touch of such memory is slow, and `dd` of 512 MiB on this project's test VM took 3.3-3.7 s through the page
/// cache against 0.33-0.36 s past it in 2 MiB writes. Consecutive writes meet in a block written through the handle
/// from both sides, so appends never write a block both ways; overlapping writes stay coherent (a direct write drops
/// the cached pages it covers). Where the file system refuses direct writes, or off Linux, every write goes through
/// the handle, in <see cref="ChunkedWrite"/>'s chunks. Writes may come from several threads at once (each takes its
/// own aligned buffer); disposing must wait for the last of them, as closing the handle must.
/// <para>
/// An LBRY download's plain file is written this way. Torrent pieces are not: their one-at-a-time writes into a
/// sparse file waited on each direct write, and a 512 MiB get from a libtorrent seeder took 1.70-1.77 s against
/// 1.45-1.65 s, with 25-30 MiB more memory in pieces queued behind the writer.
/// </para>
/// </summary>
public sealed unsafe partial class DirectWriter : IDisposable
{
    /// <summary>The block size direct writes keep to, in file offset, length and memory address.</summary>
    public const int Alignment = 4096;

    private const int StagingSize = 1024 * 1024;
    private const int PooledStaging = 8;
    private const int OWrOnly = 0x1;
    private const int ODirectX64 = 0x4000;
    private const int ODirectArm64 = 0x10000;
    private const int EIntr = 4;
    private const int EInval = 22;

    // Aligned buffers for the copy of a write's whole blocks, kept for the next write (a few; more are freed).
    private static readonly ConcurrentQueue<nint> Staging = new();

    private readonly SafeFileHandle _handle;
    private int _direct;
    private volatile bool _refused;
    private long _stagedBytes;

    private DirectWriter(SafeFileHandle handle, int direct)
    {
        _handle = handle;
        _direct = direct;
    }

    /// <summary>Bytes copied into aligned memory before their direct write (none for memory aligned as the file is).</summary>
    public long StagedBytes => Interlocked.Read(ref _stagedBytes);

    /// <summary>Tests only: the next direct write fails with this errno instead of reaching the disk.</summary>
    internal int? FailNextDirectWriteForTests { get; set; }

    /// <summary>Whether whole blocks go past the page cache (false off Linux, when not asked, or once the file system refused).</summary>
    public bool IsDirect => _direct >= 0 && !_refused;

    /// <summary>
    /// A writer for <paramref name="handle"/>, a regular file open for writing. <paramref name="direct"/> false (or a
    /// file system that refuses <c>O_DIRECT</c>) makes every write go through the handle.
    /// </summary>
    public static DirectWriter For(SafeFileHandle handle, bool direct = true)
    {
        ArgumentNullException.ThrowIfNull(handle);
        return new DirectWriter(handle, direct ? OpenDirect(handle) : -1);
    }

    /// <summary>Writes <paramref name="data"/> at <paramref name="offset"/> of the file.</summary>
    public void Write(ReadOnlySpan<byte> data, long offset)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        if (!IsDirect || data.Length < Alignment)
        {
            ChunkedWrite.Write(_handle, data, offset);
            return;
        }

        // The head, up to the first block boundary, through the handle.
        var head = (int)((Alignment - (offset % Alignment)) % Alignment);
        if (head > 0)
        {
            RandomAccess.Write(_handle, data[..head], offset);
            data = data[head..];
            offset += head;
        }

        // Whole blocks past the cache: straight from the caller's memory where it is aligned as the file is (a
        // DirectWriteBuffer's), else copied into aligned memory.
        var whole = data.Length - (data.Length % Alignment);
        if (whole > 0 && TryWriteInPlace(data[..whole], offset))
        {
            data = data[whole..];
            offset += whole;
            whole = 0;
        }

        if (whole > 0)
        {
            var staging = RentStaging();
            try
            {
                while (whole > 0 && !_refused)
                {
                    var count = Math.Min(whole, StagingSize);
                    data[..count].CopyTo(new Span<byte>(staging, count));
                    Interlocked.Add(ref _stagedBytes, count);
                    if (!TryWriteDirect(staging, count, offset))
                    {
                        break;
                    }

                    data = data[count..];
                    offset += count;
                    whole -= count;
                }
            }
            finally
            {
                ReturnStaging(staging);
            }
        }

        // The tail (and everything, once direct writes were refused) through the handle.
        if (!data.IsEmpty)
        {
            ChunkedWrite.Write(_handle, data, offset);
        }
    }

    public void Dispose()
    {
        var direct = Interlocked.Exchange(ref _direct, -1);
        if (direct >= 0)
        {
            _ = Close(direct);
        }
    }

    // Whole blocks written straight from `data` when its address is aligned (as `offset` is); false, with nothing
    // written, when it is not or the file system refused.
    private bool TryWriteInPlace(ReadOnlySpan<byte> data, long offset)
    {
        fixed (byte* source = data)
        {
            return (nint)source % Alignment == 0 && TryWriteDirect(source, data.Length, offset);
        }
    }

    private static byte* RentStaging() =>
        Staging.TryDequeue(out var pooled) ? (byte*)pooled : (byte*)NativeMemory.AlignedAlloc(StagingSize, Alignment);

    private static void ReturnStaging(byte* staging)
    {
        if (Staging.Count < PooledStaging)
        {
            Staging.Enqueue((nint)staging);
        }
        else
        {
            NativeMemory.AlignedFree(staging);
        }
    }

    // Writes `count` bytes from `staging` at `offset`; false when the file system refused a direct write, after which
    // this writer writes through the handle only.
    private bool TryWriteDirect(byte* staging, int count, long offset)
    {
        var done = 0;
        while (done < count)
        {
            var injected = FailNextDirectWriteForTests;
            FailNextDirectWriteForTests = null;
            var written = injected is null ? PWrite(_direct, staging + done, count - done, offset + done) : -1;
            if (written > 0)
            {
                done += (int)written;
                continue;
            }

            var errno = injected ?? (written < 0 ? Marshal.GetLastPInvokeError() : 0);
            if (errno == EIntr)
            {
                continue;
            }

            if (errno == EInval && done == 0)
            {
                _refused = true;
                return false;
            }

            throw new IOException(
                written == 0 ? "The disk took no bytes of a write." : Marshal.GetPInvokeErrorMessage(errno),
                written == 0 ? 0 : errno);
        }

        return true;
    }
    // A second descriptor of the same open file (through /proc, so no other file can stand in for it) with O_DIRECT
    // set; -1 where there is none to be had.
    private static int OpenDirect(SafeFileHandle handle)
    {
        if (!OperatingSystem.IsLinux())
        {
            return -1;
        }

        var flag = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 or Architecture.X86 => ODirectX64,
            Architecture.Arm64 => ODirectArm64,
            _ => 0,
        };
        if (flag == 0)
        {
            return -1;
        }

        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var fd = (int)handle.DangerousGetHandle();
            var direct = LinuxFiles.Open($"/proc/self/fd/{fd}", OWrOnly | LinuxFiles.OCloExec | flag);
            return direct >= 0 ? direct : -1;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)]
    private static partial nint PWrite(int fd, byte* buffer, nint count, long offset);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
