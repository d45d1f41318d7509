using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace SmartShare.Lbry.Streams;

/// <summary>
/// File names for streams. <see cref="LbryCompatible"/> is lbry-sdk's <c>sanitize_file_name</c> to the letter,
/// because the publisher's result goes into the descriptor and its hash. <see cref="ForDownload"/> is what a
/// name from the network must pass before it touches the disk here: lbry-sdk's rules and then ours.
/// </summary>
public static partial class FileNameSanitizer
{
    public const string DefaultName = "lbry_download";

    /// <summary>Longest name, in UTF-8 bytes, we create: room below the usual 255 for "_N" and temporary names.</summary>
    public const int MaxNameBytes = 200;

    private const int MaxExtensionChars = 16;

    private static readonly HashSet<string> DeviceNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
        "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
        "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    };

    /// <summary>lbry-sdk's sanitize_file_name: the stem and the extension cleaned apart, the same regex on each.</summary>
    public static string LbryCompatible(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var (stem, extension) = SplitExtension(name);
        stem = IllegalParts().Replace(stem, string.Empty);
        extension = IllegalParts().Replace(extension, string.Empty);
        if (stem.Length == 0)
        {
            stem = DefaultName;
        }

        return extension.Length > 1 ? stem + extension : stem;
    }

    /// <summary>
    /// A name that is safe to create inside a download folder: lbry-sdk's cleaning, then no control or
    /// bidirectional-override characters, no name made of dots, no device name with any extension, and a
    /// length cap that keeps the extension. The result never contains a path separator.
    /// </summary>
    public static string ForDownload(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var cleaned = new StringBuilder(name.Length);
        foreach (var rune in name.EnumerateRunes())
        {
            var category = Rune.GetUnicodeCategory(rune);
            if (category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
                or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator)
            {
                continue;
            }

            cleaned.Append(rune.ToString());
        }

        var result = LbryCompatible(cleaned.ToString());
        if (result.Trim('.').Length == 0)
        {
            result = DefaultName;
        }

        var (stem, extension) = SplitExtension(result);
        var firstPart = stem.Split('.')[0].TrimEnd(' ');
        if (DeviceNames.Contains(firstPart))
        {
            stem = "_" + stem;
        }

        if (extension.Length > MaxExtensionChars)
        {
            stem += extension;
            extension = string.Empty;
        }

        var budget = MaxNameBytes - Encoding.UTF8.GetByteCount(extension);
        stem = TruncateUtf8(stem, budget).TrimEnd(' ', '.');
        return (stem.Length == 0 ? DefaultName : stem) + extension;
    }

    /// <summary>Python's posixpath.splitext: the extension starts at the last dot, unless that dot only leads the name.</summary>
    internal static (string Stem, string Extension) SplitExtension(string name)
    {
        var separator = name.LastIndexOf('/');
        var dot = name.LastIndexOf('.');
        if (dot > separator)
        {
            for (var i = separator + 1; i < dot; i++)
            {
                if (name[i] != '.')
                {
                    return (name[..dot], name[dot..]);
                }
            }
        }

        return (name, string.Empty);
    }

    private static string TruncateUtf8(string text, int maxBytes)
    {
        if (Encoding.UTF8.GetByteCount(text) <= maxBytes)
        {
            return text;
        }

        var builder = new StringBuilder();
        var used = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            used += rune.Utf8SequenceLength;
            if (used > maxBytes)
            {
                break;
            }

            builder.Append(rune.ToString());
        }

        return builder.ToString();
    }

    // lbry/stream/descriptor.py RE_ILLEGAL_FILENAME_CHARS, unchanged: .NET and Python agree on this syntax,
    // including '$' matching before a final newline.
    [GeneratedRegex("""([<>:"/\\|?*]+|[\x00-\x1F]+|[ \t]*(\.)+[ \t]*$|(^[ \t]+|[ \t]+$)|^CON$|^PRN$|^AUX$|^NUL$|^COM[1-9]$|^LPT[1-9]$)""", RegexOptions.CultureInvariant)]
    private static partial Regex IllegalParts();
}
