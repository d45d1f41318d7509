using Microsoft.Win32.SafeHandles;

namespace SmartShare.IO;

/// <summary>
/// Buffered file writes made as calls of at most <see cref="MaxChunk"/> bytes, on <see cref="MaxChunk"/> boundaries of
/// the file. Linux sizes the page-cache memory it takes for a write by the write's length (ext4's large folios): a
/// 1 MiB write asks for 1 MiB blocks of free memory, and on a VM that reports its free memory to the host (free page
/// reporting) those large blocks are the ones handed back, so each page is faulted in again on first touch. `dd` of
/// 512 MiB on this project's test VM, four seconds after freeing as much: 0.91-1.01 s in 1 MiB writes, 0.13-0.16 s in
/// 256 KiB ones; with the memory still warm 0.13-0.14 s and 0.12-0.13 s. Torrent pieces are written this way. An LBRY
/// download's plain file was too, until a profile of a three-seeder 512 MiB get on cold memory put 44 % of the
/// downloader's CPU in the page-cache copy of its 2 MiB appends, and at other times 256 KiB writes took 3.7 s as well:
/// it now goes past the cache (<see cref="DirectWriter"/>, which writes this way the partial blocks at a write's ends).
/// Blob files are written whole.
/// </summary>
public static class ChunkedWrite
{
    /// <summary>The largest write handed to the kernel at once.</summary>
    public const int MaxChunk = 256 * 1024;

    /// <summary>Writes <paramref name="data"/> at <paramref name="offset"/> of the file.</summary>
    public static async ValueTask WriteAsync(SafeFileHandle handle, ReadOnlyMemory<byte> data, long offset, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            var count = Next(offset, data.Length);
            await RandomAccess.WriteAsync(handle, data[..count], offset, cancellationToken).ConfigureAwait(false);
            data = data[count..];
            offset += count;
        }
    }

    /// <summary>Writes <paramref name="data"/> at <paramref name="offset"/> of the file, synchronously.</summary>
    public static void Write(SafeFileHandle handle, ReadOnlySpan<byte> data, long offset)
    {
        while (!data.IsEmpty)
        {
            var count = Next(offset, data.Length);
            RandomAccess.Write(handle, data[..count], offset);
            data = data[count..];
            offset += count;
        }
    }

    // Up to the next MaxChunk boundary of the file, so the chunks of a large write line up with the kernel's blocks.
    private static int Next(long offset, int left) => (int)Math.Min(left, MaxChunk - (offset % MaxChunk));
}
