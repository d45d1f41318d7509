using System.Globalization;
using System.Text;
using SmartShare.Lbry.Blobs;

namespace SmartShare.Node.Shares;

/// <summary>
/// Reads and writes .smartshare files (UTF-8 JSON) and smartshare: links. Pure and total: parsing untrusted input
/// returns a valid <see cref="SmartShareFile"/> or throws <see cref="SmartShareFormatException"/> with a sentence
/// saying which field was wrong. Writing refuses, with the same sentences, a value that reading would refuse.
/// The format is described in docs/smartshare-format.md.
/// </summary>
public static class SmartShareCodec
{
    public const int MaxFileBytes = 4 * 1024 * 1024;
    public const int MaxContacts = 32;
    public const int MaxBootstrap = 32;
    public const int MaxNameBytes = 1024;
    public const int MaxSdBlobBytes = 2 * 1024 * 1024;
    public const int MaxLinkChars = 8 * 1024;
    public const string LinkScheme = "smartshare:";

    /// <summary>Writes the file as indented UTF-8 JSON with keys in a fixed order.</summary>
    public static byte[] Serialize(SmartShareFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        Validate(file);
        return SmartShareJson.Write(file);
    }

    /// <summary>Reads a .smartshare file.</summary>
    /// <exception cref="SmartShareFormatException">The bytes are not a valid .smartshare file this version reads.</exception>
    public static SmartShareFile Parse(ReadOnlySpan<byte> utf8)
    {
        var file = SmartShareJson.Read(utf8);
        Validate(file);
        return file;
    }

    /// <summary>Writes the share as a smartshare: link; the sd blob is left out, the receiver fetches it.</summary>
    /// <exception cref="SmartShareFormatException">The share is invalid or too large for a link of <see cref="MaxLinkChars"/> characters.</exception>
    public static string ToLink(SmartShareFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        Validate(file);
        return SmartShareLink.Write(file);
    }

    /// <summary>Reads a smartshare: link.</summary>
    /// <exception cref="SmartShareFormatException">The text is not a valid smartshare: link this version reads.</exception>
    public static SmartShareFile ParseLink(string link)
    {
        ArgumentNullException.ThrowIfNull(link);
        var file = SmartShareLink.Read(link);
        Validate(file);
        return file;
    }

    public static bool LooksLikeLink(string text) =>
        text is not null && text.StartsWith(LinkScheme, StringComparison.OrdinalIgnoreCase);

    /// <summary>The sentence for a share written by a newer SmartShare.</summary>
    internal static SmartShareFormatException NewerVersion(string what, long version) =>
        new(string.Create(
            CultureInfo.InvariantCulture,
            $"This {what} is format version {version}; this SmartShare reads version {SmartShareFile.CurrentVersion}. Update SmartShare."));

    /// <summary>The rules both forms share, checked after reading and before writing.</summary>
    internal static void Validate(SmartShareFile file)
    {
        if (file.Version > SmartShareFile.CurrentVersion)
        {
            throw NewerVersion(".smartshare file", file.Version);
        }

        if (file.Version < 1)
        {
            throw new SmartShareFormatException(string.Create(
                CultureInfo.InvariantCulture,
                $"The format version (\"smartshare\") is {file.Version}; versions start at 1."));
        }

        ValidateName(file.Name);
        if (file.Size < 0)
        {
            throw new SmartShareFormatException(string.Create(
                CultureInfo.InvariantCulture, $"The size is {file.Size}; a size is a number of bytes, 0 or more."));
        }

        if (file.SdHash.Bytes.Length != BlobHash.Size)
        {
            throw new SmartShareFormatException("The sd hash is missing; it must be 96 lowercase hex digits.");
        }

        if (file.SdBlob is { } sdBlob)
        {
            if (sdBlob.Length > MaxSdBlobBytes)
            {
                throw new SmartShareFormatException(string.Create(
                    CultureInfo.InvariantCulture,
                    $"The embedded sd blob (sd_blob) is {sdBlob.Length} bytes; an sd blob is at most {MaxSdBlobBytes} bytes."));
            }

            // A receiver trusts the embedded descriptor only because it hashes to the sd hash the creator named.
            var actual = BlobHash.Compute(sdBlob);
            if (actual != file.SdHash)
            {
                throw new SmartShareFormatException(
                    $"The embedded sd blob hashes to {actual}, not to the sd hash {file.SdHash}; the file was altered or damaged.");
            }
        }

        ArgumentNullException.ThrowIfNull(file.Contacts);
        ArgumentNullException.ThrowIfNull(file.Bootstrap);
        if (file.Contacts.Count > MaxContacts)
        {
            throw new SmartShareFormatException(string.Create(
                CultureInfo.InvariantCulture, $"The share lists {file.Contacts.Count} contacts; at most {MaxContacts} are allowed."));
        }

        if (file.Bootstrap.Count > MaxBootstrap)
        {
            throw new SmartShareFormatException(string.Create(
                CultureInfo.InvariantCulture, $"The share lists {file.Bootstrap.Count} bootstrap nodes; at most {MaxBootstrap} are allowed."));
        }

        for (var i = 0; i < file.Contacts.Count; i++)
        {
            var contact = file.Contacts[i];
            if (contact?.Dht is null && contact?.Blob is null)
            {
                throw new SmartShareFormatException(string.Create(
                    CultureInfo.InvariantCulture, $"The contact contacts[{i}] has neither a dht nor a blob endpoint; it needs at least one."));
            }

            contact.Dht?.Validate(string.Create(CultureInfo.InvariantCulture, $"contacts[{i}].dht endpoint"));
            contact.Blob?.Validate(string.Create(CultureInfo.InvariantCulture, $"contacts[{i}].blob endpoint"));
        }

        for (var i = 0; i < file.Bootstrap.Count; i++)
        {
            var field = string.Create(CultureInfo.InvariantCulture, $"bootstrap[{i}] endpoint");
            var node = file.Bootstrap[i] ?? throw new SmartShareFormatException($"The {field} is missing.");
            node.Validate(field);
        }

        if (file.BitTorrent is { } torrent)
        {
            ValidateEndpoints(torrent.Peers, "bittorrent.peers");
            ValidateEndpoints(torrent.Dht, "bittorrent.dht");
        }
    }

    private static void ValidateEndpoints(IReadOnlyList<SmartShareEndpoint> endpoints, string field)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (endpoints.Count > MaxContacts)
        {
            throw new SmartShareFormatException(string.Create(
                CultureInfo.InvariantCulture, $"The share lists {endpoints.Count} {field} endpoints; at most {MaxContacts} are allowed."));
        }

        for (var i = 0; i < endpoints.Count; i++)
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"{field}[{i}] endpoint");
            var endpoint = endpoints[i] ?? throw new SmartShareFormatException($"The {name} is missing.");
            endpoint.Validate(name);
        }
    }

    private static void ValidateName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw new SmartShareFormatException("The name is empty; a share needs a name to show the receiver.");
        }

        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsHighSurrogate(c) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]))
            {
                i++;
                continue;
            }

            if (char.IsSurrogate(c))
            {
                throw new SmartShareFormatException(string.Create(
                    CultureInfo.InvariantCulture,
                    $"The name holds a lone surrogate (U+{(int)c:X4}) at position {i}; a name must be valid Unicode text."));
            }

            // Names are displayed; control characters and bidirectional overrides can forge what the user reads.
            if (IsForbiddenInName(c))
            {
                throw new SmartShareFormatException(string.Create(
                    CultureInfo.InvariantCulture,
                    $"The name holds the control character U+{(int)c:X4} at position {i}; a name is displayed, so it may not contain control characters."));
            }
        }

        var bytes = Encoding.UTF8.GetByteCount(name);
        if (bytes > MaxNameBytes)
        {
            throw new SmartShareFormatException(string.Create(
                CultureInfo.InvariantCulture,
                $"The name '{SmartShareEndpoint.Shorten(name)}' is {bytes} bytes of UTF-8; a name is at most {MaxNameBytes} bytes."));
        }
    }

    private static bool IsForbiddenInName(char c) =>
        char.IsControl(c)
        || c is '\u2028' or '\u2029' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069') or '\u200E' or '\u200F';
}
