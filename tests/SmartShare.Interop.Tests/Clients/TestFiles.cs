using System.Security.Cryptography;

namespace SmartShare.Interop.Tests.Clients;

/// <summary>Random content to share and SHA-256 comparison of what arrived.</summary>
public static class TestFiles
{
    /// <summary>Writes <paramref name="size"/> random bytes to <paramref name="path"/> (folders created) and returns the path.</summary>
    public static string WriteRandom(string path, long size)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        var buffer = new byte[1 << 20];
        for (var left = size; left > 0; left -= buffer.Length)
        {
            RandomNumberGenerator.Fill(buffer);
            stream.Write(buffer, 0, (int)Math.Min(buffer.Length, left));
        }

        return path;
    }

    /// <summary>
    /// Writes a folder of random files in nested sub-folders (sizes in bytes, relative paths with '/') and
    /// returns the folder.
    /// </summary>
    public static string WriteRandomTree(string folder, IReadOnlyDictionary<string, long> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        Directory.CreateDirectory(folder);
        foreach (var (relative, size) in files)
        {
            WriteRandom(Path.Combine(folder, relative), size);
        }

        return folder;
    }

    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>Relative path ('/'-separated) to SHA-256 of every file under <paramref name="folder"/>.</summary>
    public static SortedDictionary<string, string> TreeSha256(string folder)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            result[Path.GetRelativePath(folder, file).Replace('\\', '/')] = Sha256(file);
        }

        return result;
    }

    public static void AssertSameFile(string expected, string actual)
    {
        Assert.True(File.Exists(actual), $"{actual} does not exist.");
        Assert.True(
            new FileInfo(expected).Length == new FileInfo(actual).Length,
            $"{actual} has {new FileInfo(actual).Length} bytes, {expected} {new FileInfo(expected).Length}.");
        Assert.Equal(Sha256(expected), Sha256(actual));
    }

    public static void AssertSameTree(string expected, string actual)
    {
        Assert.True(Directory.Exists(actual), $"{actual} does not exist.");
        Assert.Equal(TreeSha256(expected), TreeSha256(actual));
    }
}
