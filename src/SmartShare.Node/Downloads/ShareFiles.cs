using SmartShare.IO;
using SmartShare.Lbry.Streams;
using SmartShare.Node.Shares;

namespace SmartShare.Node.Downloads;

/// <summary>Makes the .smartshare file (and link) for a stream this node shares: its contacts, its descriptor.</summary>
public static class ShareFiles
{
    /// <summary>The .smartshare content for a stream just created, with the descriptor embedded.</summary>
    public static SmartShareFile Describe(StreamCreateResult created, byte[] sdBlob, IReadOnlyList<SmartShareContact> contacts, bool isPrivate, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(created);
        return new SmartShareFile
        {
            Name = created.Descriptor.SuggestedFileName,
            Size = created.Size,
            SdHash = created.SdHash,
            SdBlob = sdBlob,
            Private = isPrivate,
            Contacts = contacts,
            Created = now,
        };
    }

    /// <summary>
    /// Writes the file atomically (temporary name, then rename) and returns its full path. An existing file at
    /// <paramref name="path"/> is replaced only with <paramref name="overwrite"/>.
    /// </summary>
    public static string Write(SmartShareFile file, string path, bool overwrite) => WriteAtomically(SmartShareCodec.Serialize(file), path, overwrite);

    /// <summary>
    /// Writes <paramref name="bytes"/> under a temporary name, then renames it to <paramref name="path"/>; returns the
    /// full path. Without <paramref name="overwrite"/> the rename itself refuses an existing file, so one that appears
    /// after <see cref="CheckOutput"/> is not clobbered either.
    /// </summary>
    public static string WriteAtomically(byte[] bytes, string path, bool overwrite)
    {
        var full = Path.GetFullPath(path);
        var temp = full + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            File.WriteAllBytes(temp, bytes);
            if (overwrite)
            {
                File.Move(temp, full, overwrite: true);
            }
            else
            {
                NoClobberRename.Move(temp, full);
            }

            return full;
        }
        catch (IOException) when (!overwrite && Exists(full))
        {
            throw new IOException($"\"{full}\" appeared while it was being made and was left as it is; nothing was written there.");
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>
    /// Refuses, before any work, an output path that is a folder, or an existing file without
    /// <paramref name="overwrite"/>; <paramref name="howToOverwrite"/> ends the sentence (such as "pass --force").
    /// </summary>
    /// <exception cref="FormatException">The path is taken; the sentence names it.</exception>
    public static void CheckOutput(string path, bool overwrite, string howToOverwrite)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            throw new FormatException($"\"{full}\" is a folder; give the path of a file to write instead.");
        }

        if (!overwrite && Exists(full))
        {
            throw new FormatException($"\"{full}\" already exists and was left as it is; {howToOverwrite} to replace it.");
        }
    }

    // A dangling symlink counts: writing "there" would create its target.
    private static bool Exists(string full) => Path.Exists(full) || new FileInfo(full).LinkTarget is not null;
}
