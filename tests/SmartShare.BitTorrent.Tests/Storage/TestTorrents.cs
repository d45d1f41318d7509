using System.Security.Cryptography;
using SmartShare.BitTorrent.Metainfo;
using SmartShare.BitTorrent.Storage;

namespace SmartShare.BitTorrent.Tests.Storage;

/// <summary>Torrents built in memory (with their content) for the storage tests.</summary>
internal static class TestTorrents
{
    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static (TorrentInfo Info, byte[] Content) SingleFile(string name, int length, int pieceLength, int seed = 1)
    {
        var content = RandomBytes(length, seed);
        return (Info(name, pieceLength, content, [new TorrentFile([name], length, 0)], isSingleFile: true), content);
    }

    /// <summary>A multi-file torrent; each file is a path ("a/b") and a length.</summary>
    public static (TorrentInfo Info, byte[] Content) MultiFile(string name, int pieceLength, int seed, params (string Path, int Length)[] files)
    {
        var total = files.Sum(file => file.Length);
        var content = RandomBytes(total, seed);
        var list = new List<TorrentFile>();
        long offset = 0;
        foreach (var (path, length) in files)
        {
            list.Add(new TorrentFile(path.Split('/'), length, offset));
            offset += length;
        }

        return (Info(name, pieceLength, content, list, isSingleFile: false), content);
    }

    /// <summary>
    /// A hybrid-style torrent: each file padded with zeros to the next piece boundary (the pads, as libtorrent 2.0
    /// writes them, after every file including the last), which are gaps in the file list.
    /// </summary>
    public static (TorrentInfo Info, byte[] Content) Padded(string name, int pieceLength, int seed, params (string Path, int Length)[] files)
    {
        var total = files.Sum(file => (file.Length + pieceLength - 1) / pieceLength * pieceLength);
        var content = new byte[total];
        var list = new List<TorrentFile>();
        var random = new Random(seed);
        var offset = 0;
        foreach (var (path, length) in files)
        {
            random.NextBytes(content.AsSpan(offset, length));
            list.Add(new TorrentFile(path.Split('/'), length, offset));
            offset += (length + pieceLength - 1) / pieceLength * pieceLength;
        }

        return (Info(name, pieceLength, content, list, isSingleFile: false), content);
    }

    public static byte[] Piece(TorrentInfo info, byte[] content, int piece) =>
        content.AsSpan((int)((long)piece * info.PieceLength), info.GetPieceSize(piece)).ToArray();

    public static async Task WriteAllAsync(Stored stored, IEnumerable<int> order)
    {
        foreach (var piece in order)
        {
            await stored.Storage.WritePieceAsync(piece, Piece(stored.Storage.Info, stored.Content, piece), CancellationToken.None);
        }
    }

    public static int[] Shuffled(int count, int seed)
    {
        var order = Enumerable.Range(0, count).ToArray();
        new Random(seed).Shuffle(order);
        return order;
    }

    /// <summary>Changes one byte of a file in place, keeping its size.</summary>
    public static void FlipByte(string path, long offset)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
        var one = new byte[1];
        RandomAccess.Read(handle, one, offset);
        one[0] ^= 0x5a;
        RandomAccess.Write(handle, one, offset);
    }

    private static TorrentInfo Info(string name, int pieceLength, byte[] content, IReadOnlyList<TorrentFile> files, bool isSingleFile)
    {
        var count = (content.Length + pieceLength - 1) / pieceLength;
        var pieces = new byte[count * InfoHash.Length];
        for (var i = 0; i < count; i++)
        {
            var start = i * pieceLength;
            SHA1.HashData(content.AsSpan(start, Math.Min(pieceLength, content.Length - start)), pieces.AsSpan(i * InfoHash.Length));
        }

        return new TorrentInfo(name, pieceLength, pieces, files, content.Length, IsPrivate: false, isSingleFile);
    }
}

internal sealed record Stored(TorrentStorage Storage, byte[] Content);
