using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace SmartShare.BitTorrent.Metainfo;

/// <summary>
/// The file-name safety rules for torrents. A torrent comes from strangers, so every name and path component is
/// checked on its own, and the final path on disk is checked again to stay under the download folder.
/// </summary>
public static class TorrentPaths
{
    /// <summary>
    /// Says why <paramref name="component"/> cannot be a file or folder name from a torrent, or returns false when
    /// it is safe: not empty, not <c>.</c> or <c>..</c>, no <c>/</c> or <c>\</c>, no control characters, at most
    /// <see cref="TorrentLimits.MaxComponentBytes"/> UTF-8 bytes.
    /// </summary>
    public static bool IsUnsafe(string component, [NotNullWhen(true)] out string? problem)
    {
        ArgumentNullException.ThrowIfNull(component);
        problem = component switch
        {
            "" => "is empty",
            "." or ".." => $"is \"{component}\", which would leave its folder",
            _ when component.AsSpan().IndexOfAny('/', '\\') >= 0 => $"\"{Printable(component)}\" contains a path separator",
            _ when HasControlCharacter(component) => $"\"{Printable(component)}\" contains a control character",
            _ when Encoding.UTF8.GetByteCount(component) > TorrentLimits.MaxComponentBytes =>
                $"is longer than {TorrentLimits.MaxComponentBytes} UTF-8 bytes",
            _ => null,
        };
        return problem is not null;
    }

    /// <summary>Why <paramref name="component"/> is unsafe, quoting nothing of it but the fixed names "." and "..".</summary>
    public static string ContentFreeProblem(string component)
    {
        ArgumentNullException.ThrowIfNull(component);
        return component switch
        {
            "" => "is empty",
            "." or ".." => $"is \"{component}\", which would leave its folder",
            _ when component.AsSpan().IndexOfAny('/', '\\') >= 0 => "contains a path separator, which could leave its folder",
            _ when HasControlCharacter(component) => "contains a control character",
            _ => $"is longer than {TorrentLimits.MaxComponentBytes} UTF-8 bytes",
        };
    }

    /// <summary>
    /// The full path where <paramref name="file"/> of <paramref name="torrent"/> belongs under
    /// <paramref name="downloadDirectory"/>: <c>DIR/NAME</c> for a single-file torrent, <c>DIR/NAME/a/b</c> otherwise.
    /// </summary>
    /// <exception cref="ArgumentException">A component is unsafe or the path would leave the download folder.</exception>
    public static string Resolve(string downloadDirectory, Torrent torrent, TorrentFile file)
    {
        ArgumentException.ThrowIfNullOrEmpty(downloadDirectory);
        ArgumentNullException.ThrowIfNull(torrent);
        ArgumentNullException.ThrowIfNull(file);

        // Torrents built by hand skip the parser's checks, so check again here, where it matters.
        var parts = new List<string>(file.Path.Count + 2);
        var root = Path.GetFullPath(downloadDirectory);
        parts.Add(root);
        if (!torrent.Info.IsSingleFile)
        {
            parts.Add(torrent.Info.Name);
        }

        parts.AddRange(file.Path);
        for (var i = 1; i < parts.Count; i++)
        {
            if (IsUnsafe(parts[i], out var problem))
            {
                throw new ArgumentException(
                    $"Refusing to write torrent {torrent.InfoHash}: a file name component {problem}.", nameof(file));
            }
        }

        var full = Path.GetFullPath(Path.Join([.. parts]));
        var rootWithSeparator = Path.EndsInDirectorySeparator(root) ? root : root + Path.DirectorySeparatorChar;
        if (!full.StartsWith(rootWithSeparator, StringComparison.Ordinal))
        {
            throw new ArgumentException(
                $"Refusing to write torrent {torrent.InfoHash}: \"{full}\" would not stay under the download folder \"{root}\".",
                nameof(file));
        }

        return full;
    }

    private static bool HasControlCharacter(string component)
    {
        foreach (var c in component)
        {
            if (c < 0x20 || c == 0x7f)
            {
                return true;
            }
        }

        return false;
    }

    // Names go into error messages users read, so control characters are shown escaped and long names cut short.
    private static string Printable(string component)
    {
        var builder = new StringBuilder();
        foreach (var c in component.Length > 80 ? component[..80] : component)
        {
            if (c < 0x20 || c == 0x7f)
            {
                builder.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}
