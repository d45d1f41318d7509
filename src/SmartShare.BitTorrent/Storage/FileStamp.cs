using System.Buffers.Binary;

namespace SmartShare.BitTorrent.Storage;

/// <summary>
/// What a torrent file looked like on disk when its recorded pieces were made durable: its size and last-write time
/// (UTC ticks). A file whose stamp still matches at the next start has its recorded pieces taken without hashing them;
/// <see cref="Unknown"/> (a file not on disk, held in the side file, or changed behind the node's back) matches
/// nothing, so its pieces are checked.
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

    internal static byte[] Encode(IReadOnlyList<FileStamp> stamps)
    {
        var bytes = new byte[stamps.Count * EncodedSize];
        for (var i = 0; i < stamps.Count; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * EncodedSize), stamps[i].Length);
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan((i * EncodedSize) + 8), stamps[i].LastWriteUtcTicks);
        }

        return bytes;
    }

    // Hostile or stale bytes (another file count, a torn value) decode to null: the pieces are checked as before.
    internal static FileStamp[]? Decode(byte[] bytes, int fileCount)
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

/// <summary>A torrent's resume record: the verified pieces and, when recorded, its files' stamps.</summary>
public sealed record ResumeRecord(Bitfield Pieces, FileStamp[]? Stamps);
