using System.Globalization;
using System.Text;
using SmartShare.BitTorrent;
using SmartShare.Lbry.Blobs;

namespace SmartShare.Node.Shares;

/// <summary>
/// The link form of a share, short enough for chat and clipboards:
/// smartshare:?v=1&amp;sd=HEX&amp;dn=NAME&amp;xl=SIZE&amp;c=DHT,BLOB&amp;b=NODE&amp;p=1&amp;t=UNIXSECONDS.
/// It never carries the sd blob; the receiver fetches it from the contacts.
/// </summary>
internal static class SmartShareLink
{
    private static readonly string[] SingleValued = ["v", "sd", "dn", "xl", "p", "t", "bt"];

    public static string Write(SmartShareFile file)
    {
        var link = new StringBuilder(SmartShareCodec.LinkScheme);
        link.Append(CultureInfo.InvariantCulture, $"?v={file.Version}&sd={file.SdHash}");
        link.Append("&dn=").Append(Uri.EscapeDataString(file.Name));
        link.Append(CultureInfo.InvariantCulture, $"&xl={file.Size}");
        foreach (var contact in file.Contacts)
        {
            link.Append("&c=").Append(Escape(contact.Dht)).Append(',').Append(Escape(contact.Blob));
        }

        foreach (var node in file.Bootstrap)
        {
            link.Append("&b=").Append(Escape(node));
        }

        if (file.Private)
        {
            link.Append("&p=1");
        }

        link.Append(CultureInfo.InvariantCulture, $"&t={file.Created.ToUnixTimeSeconds()}");
        if (file.BitTorrent is { } torrent)
        {
            link.Append("&bt=").Append(torrent.InfoHash.ToString());
            foreach (var peer in torrent.Peers)
            {
                link.Append("&bp=").Append(Escape(peer));
            }

            foreach (var node in torrent.Dht)
            {
                link.Append("&bd=").Append(Escape(node));
            }
        }

        if (link.Length > SmartShareCodec.MaxLinkChars)
        {
            throw new SmartShareFormatException(string.Create(
                CultureInfo.InvariantCulture,
                $"The smartshare: link would be {link.Length} characters; a link is at most {SmartShareCodec.MaxLinkChars}, so send the .smartshare file instead."));
        }

        return link.ToString();
    }

    public static SmartShareFile Read(string link)
    {
        if (link.Length > SmartShareCodec.MaxLinkChars)
        {
            throw new SmartShareFormatException(string.Create(
                CultureInfo.InvariantCulture,
                $"The smartshare: link is {link.Length} characters; a link is at most {SmartShareCodec.MaxLinkChars}."));
        }

        if (!SmartShareCodec.LooksLikeLink(link))
        {
            throw new SmartShareFormatException($"The link '{SmartShareEndpoint.Shorten(link)}' does not start with {SmartShareCodec.LinkScheme}.");
        }

        var rest = link.AsSpan(SmartShareCodec.LinkScheme.Length);
        if (rest.Length == 0 || rest[0] != '?')
        {
            throw new SmartShareFormatException($"The link '{SmartShareEndpoint.Shorten(link)}' has no parameters; it must continue with ?v=1&sd=...");
        }

        var single = new Dictionary<string, string>(StringComparer.Ordinal);
        var contacts = new List<string>();
        var bootstrap = new List<string>();
        var torrentPeers = new List<string>();
        var torrentNodes = new List<string>();
        foreach (var range in rest[1..].Split('&'))
        {
            var part = rest[1..][range];
            if (part.IsEmpty)
            {
                continue;
            }

            var equals = part.IndexOf('=');
            if (equals <= 0)
            {
                throw new SmartShareFormatException($"The link parameter '{SmartShareEndpoint.Shorten(part.ToString())}' is not name=value.");
            }

            var key = part[..equals].ToString();
            var value = part[(equals + 1)..].ToString();
            if (key == "c")
            {
                contacts.Add(value);
            }
            else if (key == "b")
            {
                bootstrap.Add(value);
            }
            else if (key == "bp")
            {
                torrentPeers.Add(value);
            }
            else if (key == "bd")
            {
                torrentNodes.Add(value);
            }
            else if (SingleValued.Contains(key))
            {
                if (!single.TryAdd(key, Uri.UnescapeDataString(value)))
                {
                    throw new SmartShareFormatException($"The link gives the parameter {key} more than once; it may appear only once.");
                }
            }

            // Other parameters are ignored, so that a later version may add some that this one can skip.
        }

        // The version comes first: a newer link may change any other parameter, and deserves the update sentence.
        if (!single.TryGetValue("v", out var versionText))
        {
            throw new SmartShareFormatException("The link has no format version parameter v; it must contain v=1.");
        }

        if (!long.TryParse(versionText, NumberStyles.None, CultureInfo.InvariantCulture, out var version))
        {
            throw new SmartShareFormatException($"The link's format version parameter v is '{SmartShareEndpoint.Shorten(versionText)}'; it must be a whole number such as 1.");
        }

        if (version > SmartShareFile.CurrentVersion)
        {
            throw SmartShareCodec.NewerVersion("smartshare: link", version);
        }

        if (version < 1)
        {
            throw new SmartShareFormatException(string.Create(
                CultureInfo.InvariantCulture, $"The link's format version parameter v is {version}; versions start at 1."));
        }

        if (!single.TryGetValue("sd", out var sdText))
        {
            throw new SmartShareFormatException("The link has no sd hash parameter sd; it must contain sd= followed by 96 lowercase hex digits.");
        }

        if (!BlobHash.TryParse(sdText, out var sdHash))
        {
            throw new SmartShareFormatException($"The link's sd hash parameter sd '{SmartShareEndpoint.Shorten(sdText)}' is not a blob hash; it must be 96 lowercase hex digits.");
        }

        // A link pasted without its name still downloads; the sd hash is then the best name there is.
        var name = single.GetValueOrDefault("dn", sdText);
        var size = 0L;
        if (single.TryGetValue("xl", out var sizeText)
            && !long.TryParse(sizeText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out size))
        {
            throw new SmartShareFormatException($"The link's size parameter xl is '{SmartShareEndpoint.Shorten(sizeText)}'; it must be a whole number of bytes.");
        }

        var isPrivate = single.GetValueOrDefault("p", "0") switch
        {
            "0" => false,
            "1" => true,
            var other => throw new SmartShareFormatException($"The link's private parameter p is '{SmartShareEndpoint.Shorten(other)}'; it must be 0 or 1."),
        };

        var created = default(DateTimeOffset);
        if (single.TryGetValue("t", out var createdText))
        {
            if (!long.TryParse(createdText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds)
                || seconds < DateTimeOffset.MinValue.ToUnixTimeSeconds()
                || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
            {
                throw new SmartShareFormatException($"The link's created time parameter t is '{SmartShareEndpoint.Shorten(createdText)}'; it must be a number of seconds since 1970-01-01 UTC.");
            }

            created = DateTimeOffset.FromUnixTimeSeconds(seconds);
        }

        if (contacts.Count > SmartShareCodec.MaxContacts)
        {
            throw new SmartShareFormatException(string.Create(
                CultureInfo.InvariantCulture, $"The link lists {contacts.Count} contacts (c); at most {SmartShareCodec.MaxContacts} are allowed."));
        }

        if (bootstrap.Count > SmartShareCodec.MaxBootstrap)
        {
            throw new SmartShareFormatException(string.Create(
                CultureInfo.InvariantCulture, $"The link lists {bootstrap.Count} bootstrap nodes (b); at most {SmartShareCodec.MaxBootstrap} are allowed."));
        }

        SmartShareTorrent? torrent = null;
        if (single.TryGetValue("bt", out var infoHashText))
        {
            if (!InfoHash.TryParse(infoHashText, out var infoHash))
            {
                throw new SmartShareFormatException($"The link's info hash parameter bt '{SmartShareEndpoint.Shorten(infoHashText)}' is not an info hash; it must be 40 hex digits.");
            }

            torrent = new SmartShareTorrent(infoHash, ReadEndpoints(torrentPeers, "bittorrent.peers", "bp"), ReadEndpoints(torrentNodes, "bittorrent.dht", "bd"));
        }
        else if (torrentPeers.Count != 0 || torrentNodes.Count != 0)
        {
            throw new SmartShareFormatException("The link gives BitTorrent endpoints (bp or bd) without the info hash parameter bt.");
        }

        return new SmartShareFile
        {
            Version = (int)version,
            Name = name,
            Size = size,
            SdHash = sdHash,
            Private = isPrivate,
            BitTorrent = torrent,
            Contacts = contacts.Select(ReadContact).ToList(),
            Bootstrap = bootstrap.Select((text, i) => SmartShareEndpoint.Parse(
                Uri.UnescapeDataString(text), string.Create(CultureInfo.InvariantCulture, $"bootstrap[{i}] endpoint (b)"))).ToList(),
            Created = created,
        };
    }

    private static List<SmartShareEndpoint> ReadEndpoints(List<string> escaped, string field, string parameter)
    {
        if (escaped.Count > SmartShareCodec.MaxContacts)
        {
            throw new SmartShareFormatException(string.Create(
                CultureInfo.InvariantCulture, $"The link lists {escaped.Count} {field} endpoints ({parameter}); at most {SmartShareCodec.MaxContacts} are allowed."));
        }

        return escaped
            .Select((text, i) => SmartShareEndpoint.Parse(Uri.UnescapeDataString(text), string.Create(CultureInfo.InvariantCulture, $"{field}[{i}] endpoint ({parameter})")))
            .ToList();
    }

    private static SmartShareContact ReadContact(string text, int index)
    {
        // Endpoints are escaped before joining, so a literal comma only ever separates the two.
        var parts = text.Split(',');
        if (parts.Length != 2)
        {
            throw new SmartShareFormatException(string.Create(
                CultureInfo.InvariantCulture,
                $"The link's contact contacts[{index}] (c) '{SmartShareEndpoint.Shorten(text)}' is not two endpoints separated by a comma (dht,blob; either may be empty)."));
        }

        return new SmartShareContact(
            ReadEndpoint(parts[0], string.Create(CultureInfo.InvariantCulture, $"contacts[{index}].dht endpoint (c)")),
            ReadEndpoint(parts[1], string.Create(CultureInfo.InvariantCulture, $"contacts[{index}].blob endpoint (c)")));
    }

    private static SmartShareEndpoint? ReadEndpoint(string escaped, string field) =>
        escaped.Length == 0 ? null : SmartShareEndpoint.Parse(Uri.UnescapeDataString(escaped), field);

    private static string Escape(SmartShareEndpoint? endpoint) =>
        endpoint is null ? string.Empty : Uri.EscapeDataString(endpoint.ToString());
}
