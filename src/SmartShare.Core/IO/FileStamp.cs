using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace SmartShare.IO;

/// <summary>
/// What a file looked like on disk when its content was known good: its size and last-write time (UTC ticks). A
/// torrent file whose stamp still matches at the next start has its recorded pieces taken without hashing them; a
/// stream's plain file whose stamp matches the one its share or download vouched for is held without rebuilding every
/// blob. <see cref="Unknown"/> (a file not on disk, held in the side file, or changed behind the node's back) matches
/// nothing, so the content is checked.
/// </summary>
public readonly record struct FileStamp(long Length, long LastWriteUtcTicks)
{
    private const int EncodedSize = 16;

    /// <summary>No stamp: the file's recorded pieces are hashed at the next start.</summary>
    public static FileStamp Unknown { get; } = new(-1, 0);

    public bool IsKnown => Length >= 0;

    /// <summary>Whether this stamp vouches for a file now stamped <paramref name="current"/>.</summary>
    public bool Vouches(FileStamp current) => IsKnown && this == current;

    /// <summary>The file at <paramref name="path"/> as it is now (not following a symbolic link), or <see cref="Unknown"/>.</summary>
    public static FileStamp Of(string path)
    {
        try
        {
            var file = new FileInfo(path);
            return file.Exists && file.LinkTarget is null ? new FileStamp(file.Length, file.LastWriteTimeUtc.Ticks) : Unknown;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Unknown;
        }
    }

    /// <summary>The open file as it is now.</summary>
    public static FileStamp Of(SafeFileHandle handle) =>
        new(RandomAccess.GetLength(handle), File.GetLastWriteTimeUtc(handle).Ticks);

    /// <summary>Stamps as bytes, 16 each (a torrent's resume record keeps its files' stamps so).</summary>
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
