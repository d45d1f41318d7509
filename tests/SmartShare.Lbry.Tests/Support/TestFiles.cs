using System.Security.Cryptography;

namespace SmartShare.Lbry.Tests.Support;

/// <summary>Files of given sizes with content that differs from block to block, written fast.</summary>
public static class TestFiles
{
    public static string Write(string path, long length, int seed)
    {
        var block = new byte[4 * 1024 * 1024];
        new Random(seed).NextBytes(block);
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        long written = 0;
        long counter = 0;
        while (written < length)
        {
            // Stamp a counter so no two blocks (and so no two blobs) are alike.
            BitConverter.TryWriteBytes(block, counter++);
            var count = (int)Math.Min(block.Length, length - written);
            stream.Write(block, 0, count);
            written += count;
        }

        return path;
    }

    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
