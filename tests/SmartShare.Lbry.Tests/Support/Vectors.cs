using System.Text.Json;

namespace SmartShare.Lbry.Tests.Support;

/// <summary>The golden vectors made by lbry-sdk, read from ../shared/vectors/lbry beside the repository.</summary>
public static class Vectors
{
    public static string Directory { get; } = Find();

    public static JsonElement Load(string fileName)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(System.IO.Path.Combine(Directory, fileName)));
        return document.RootElement.Clone();
    }

    /// <summary>The content of the second stream vector: byte i = i mod 251.</summary>
    public static byte[] Mod251(int length)
    {
        var content = new byte[length];
        for (var i = 0; i < length; i++)
        {
            content[i] = (byte)(i % 251);
        }

        return content;
    }

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "shared", "vectors", "lbry");
            if (System.IO.Directory.Exists(candidate))
            {
                return candidate;
            }

            candidate = System.IO.Path.Combine(dir.FullName, "..", "shared", "vectors", "lbry");
            if (System.IO.Directory.Exists(candidate))
            {
                return System.IO.Path.GetFullPath(candidate);
            }
        }

        throw new DirectoryNotFoundException("The LBRY vectors (shared/vectors/lbry) were not found above " + AppContext.BaseDirectory);
    }
}
