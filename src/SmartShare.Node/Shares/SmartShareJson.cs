using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using SmartShare.BitTorrent;
using SmartShare.Lbry.Blobs;

namespace SmartShare.Node.Shares;

/// <summary>The JSON form of a share: a .smartshare file. Checks shape and types; the codec checks the values.</summary>
internal static class SmartShareJson
{
    // The format nests objects three deep; a small bound keeps hostile input from costing stack or time.
    private const int MaxDepth = 8;

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        MaxDepth = MaxDepth,
        AllowDuplicateProperties = false,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    // Names are often not ASCII; a file a person may open reads better with them unescaped. It is never HTML.
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Indented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static byte[] Write(SmartShareFile file)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteNumber("smartshare", file.Version);
            writer.WriteString("name", file.Name);
            writer.WriteNumber("size", file.Size);
            writer.WriteString("created", FormatCreated(file.Created));
            writer.WriteStartObject("lbry");
            writer.WriteString("sd_hash", file.SdHash.ToString());
            if (file.SdBlob is { } sdBlob)
            {
                writer.WriteString("sd_blob", Convert.ToBase64String(sdBlob));
            }

            writer.WriteEndObject();
            writer.WriteBoolean("private", file.Private);
            writer.WriteStartArray("contacts");
            foreach (var contact in file.Contacts)
            {
                writer.WriteStartObject();
                if (contact.Dht is { } dht)
                {
                    writer.WriteString("dht", dht.ToString());
                }

                if (contact.Blob is { } blob)
                {
                    writer.WriteString("blob", blob.ToString());
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteStartArray("bootstrap");
            foreach (var node in file.Bootstrap)
            {
                writer.WriteStringValue(node.ToString());
            }

            writer.WriteEndArray();
            if (file.BitTorrent is { } torrent)
            {
                writer.WriteStartObject("bittorrent");
                writer.WriteString("info_hash", torrent.InfoHash.ToString());
                WriteEndpoints(writer, "peers", torrent.Peers);
                WriteEndpoints(writer, "dht", torrent.Dht);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    private static void WriteEndpoints(Utf8JsonWriter writer, string key, IReadOnlyList<SmartShareEndpoint> endpoints)
    {
        writer.WriteStartArray(key);
        foreach (var endpoint in endpoints)
        {
            writer.WriteStringValue(endpoint.ToString());
        }

        writer.WriteEndArray();
    }

    public static SmartShareFile Read(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > SmartShareCodec.MaxFileBytes)
        {
            throw new SmartShareFormatException(string.Create(
                CultureInfo.InvariantCulture,
                $"The .smartshare file is {utf8.Length} bytes; a .smartshare file is at most {SmartShareCodec.MaxFileBytes} bytes."));
        }

        // Editors on Windows may save with a byte order mark; it says nothing, so it is skipped.
        if (utf8.StartsWith("\uFEFF"u8))
        {
            utf8 = utf8[3..];
        }

        if (!Utf8.IsValid(utf8))
        {
            throw new SmartShareFormatException("The .smartshare file is not UTF-8 text; it must be a JSON object.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8.ToArray(), DocumentOptions);
        }
        catch (JsonException e)
        {
            throw new SmartShareFormatException($"The .smartshare file is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            return Read(document.RootElement);
        }
    }

    private static SmartShareFile Read(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new SmartShareFormatException($"The .smartshare file holds {Describe(root)}; it must be a JSON object.");
        }

        // The version comes first: a newer file may change any other field, and deserves the update sentence.
        if (!root.TryGetProperty("smartshare", out var versionElement))
        {
            throw new SmartShareFormatException("The .smartshare file has no \"smartshare\" format version field; it is not a .smartshare file.");
        }

        if (versionElement.ValueKind != JsonValueKind.Number || !versionElement.TryGetInt64(out var version))
        {
            throw new SmartShareFormatException($"The format version (\"smartshare\") is {Describe(versionElement)}; it must be a whole number such as 1.");
        }

        if (version > SmartShareFile.CurrentVersion)
        {
            throw SmartShareCodec.NewerVersion(".smartshare file", version);
        }

        if (version < 1)
        {
            throw new SmartShareFormatException(string.Create(
                CultureInfo.InvariantCulture, $"The format version (\"smartshare\") is {version}; versions start at 1."));
        }

        var name = GetString(Required(root, "name", "name"), "name");
        var size = GetInt64(Required(root, "size", "size"), "size");
        var createdElement = Required(root, "created", "created");
        if (createdElement.ValueKind != JsonValueKind.String || !createdElement.TryGetDateTimeOffset(out var created))
        {
            throw new SmartShareFormatException($"The created time is {Describe(createdElement)}; it must be an ISO 8601 time such as \"2026-11-21T23:30:00Z\".");
        }

        var lbry = Required(root, "lbry", "lbry");
        if (lbry.ValueKind != JsonValueKind.Object)
        {
            throw new SmartShareFormatException($"The lbry field is {Describe(lbry)}; it must be an object holding sd_hash.");
        }

        var sdHashText = GetString(Required(lbry, "sd_hash", "lbry.sd_hash"), "lbry.sd_hash");
        if (!BlobHash.TryParse(sdHashText, out var sdHash))
        {
            throw new SmartShareFormatException($"The sd hash (lbry.sd_hash) '{SmartShareEndpoint.Shorten(sdHashText)}' is not a blob hash; it must be 96 lowercase hex digits.");
        }

        byte[]? sdBlob = null;
        if (Optional(lbry, "sd_blob", out var sdBlobElement))
        {
            sdBlob = DecodeSdBlob(GetString(sdBlobElement, "lbry.sd_blob"));
        }

        var isPrivate = false;
        if (Optional(root, "private", out var privateElement))
        {
            isPrivate = privateElement.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw new SmartShareFormatException($"The private field is {Describe(privateElement)}; it must be true or false."),
            };
        }

        var contacts = new List<SmartShareContact>();
        foreach (var (element, index) in Array(root, "contacts", SmartShareCodec.MaxContacts))
        {
            var path = string.Create(CultureInfo.InvariantCulture, $"contacts[{index}]");
            if (element.ValueKind != JsonValueKind.Object)
            {
                throw new SmartShareFormatException($"The contact {path} is {Describe(element)}; it must be an object with \"dht\" and/or \"blob\".");
            }

            contacts.Add(new SmartShareContact(OptionalEndpoint(element, "dht", path), OptionalEndpoint(element, "blob", path)));
        }

        var bootstrap = new List<SmartShareEndpoint>();
        foreach (var (element, index) in Array(root, "bootstrap", SmartShareCodec.MaxBootstrap))
        {
            var path = string.Create(CultureInfo.InvariantCulture, $"bootstrap[{index}]");
            bootstrap.Add(SmartShareEndpoint.Parse(GetString(element, path), path + " endpoint"));
        }

        return new SmartShareFile
        {
            Version = (int)version,
            Name = name,
            Size = size,
            SdHash = sdHash,
            SdBlob = sdBlob,
            Private = isPrivate,
            Contacts = contacts,
            Bootstrap = bootstrap,
            Created = created,
            BitTorrent = ReadTorrent(root),
        };
    }

    private static SmartShareTorrent? ReadTorrent(JsonElement root)
    {
        if (!Optional(root, "bittorrent", out var element))
        {
            return null;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new SmartShareFormatException($"The bittorrent field is {Describe(element)}; it must be an object holding info_hash.");
        }

        var infoHashText = GetString(Required(element, "info_hash", "bittorrent.info_hash"), "bittorrent.info_hash");
        if (!InfoHash.TryParse(infoHashText, out var infoHash))
        {
            throw new SmartShareFormatException($"The info hash (bittorrent.info_hash) '{SmartShareEndpoint.Shorten(infoHashText)}' is not an info hash; it must be 40 hex digits.");
        }

        return new SmartShareTorrent(infoHash, ReadEndpoints(element, "peers", "bittorrent.peers"), ReadEndpoints(element, "dht", "bittorrent.dht"));
    }

    private static List<SmartShareEndpoint> ReadEndpoints(JsonElement parent, string key, string field) =>
        Array(parent, key, SmartShareCodec.MaxContacts, field)
            .Select(item =>
            {
                var path = string.Create(CultureInfo.InvariantCulture, $"{field}[{item.Index}]");
                return SmartShareEndpoint.Parse(GetString(item.Element, path), path + " endpoint");
            })
            .ToList();

    /// <summary>UTC, with a fraction only when there is one, so a whole-second time reads like the example.</summary>
    private static string FormatCreated(DateTimeOffset created) =>
        created.UtcDateTime.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    private static byte[] DecodeSdBlob(string text)
    {
        // Refuse before decoding: base64 of 2 MiB is under 2.8 M characters.
        if (text.Length > ((SmartShareCodec.MaxSdBlobBytes + 2) / 3 * 4) + 4)
        {
            throw new SmartShareFormatException(string.Create(
                CultureInfo.InvariantCulture,
                $"The embedded sd blob (lbry.sd_blob) is {text.Length} characters of base64; an sd blob is at most {SmartShareCodec.MaxSdBlobBytes} bytes."));
        }

        var bytes = new byte[(text.Length / 4 * 3) + 3];
        if (!Convert.TryFromBase64String(text, bytes, out var written))
        {
            throw new SmartShareFormatException($"The embedded sd blob (lbry.sd_blob) '{SmartShareEndpoint.Shorten(text)}' is not base64.");
        }

        return bytes.AsSpan(0, written).ToArray();
    }

    private static SmartShareEndpoint? OptionalEndpoint(JsonElement contact, string key, string path)
    {
        var field = $"{path}.{key}";
        return Optional(contact, key, out var element)
            ? SmartShareEndpoint.Parse(GetString(element, field), field + " endpoint")
            : null;
    }

    private static List<(JsonElement Element, int Index)> Array(JsonElement parent, string key, int max, string? field = null)
    {
        field ??= key;
        if (!Optional(parent, key, out var array))
        {
            return [];
        }

        if (array.ValueKind != JsonValueKind.Array)
        {
            throw new SmartShareFormatException($"The {field} field is {Describe(array)}; it must be an array.");
        }

        var length = array.GetArrayLength();
        if (length > max)
        {
            throw new SmartShareFormatException(string.Create(
                CultureInfo.InvariantCulture, $"The share lists {length} {field} entries; at most {max} are allowed."));
        }

        return array.EnumerateArray().Select((element, index) => (element, index)).ToList();
    }

    private static JsonElement Required(JsonElement parent, string key, string path)
    {
        if (!parent.TryGetProperty(key, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            throw new SmartShareFormatException($"The .smartshare file has no {path} field; it is required.");
        }

        return value;
    }

    /// <summary>A missing key and a null value both mean "not given".</summary>
    private static bool Optional(JsonElement parent, string key, out JsonElement value) =>
        parent.TryGetProperty(key, out value) && value.ValueKind != JsonValueKind.Null;

    private static string GetString(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.String)
        {
            throw new SmartShareFormatException($"The {path} field is {Describe(element)}; it must be a string.");
        }

        try
        {
            return element.GetString()!;
        }
        catch (InvalidOperationException e)
        {
            throw new SmartShareFormatException($"The {path} field is not valid Unicode text.", e);
        }
    }

    private static long GetInt64(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out var value))
        {
            throw new SmartShareFormatException($"The {path} field is {Describe(element)}; it must be a whole number.");
        }

        return value;
    }

    private static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => $"the string \"{SmartShareEndpoint.Shorten(element.GetRawText().Trim('"'))}\"",
        JsonValueKind.Number => $"the number {SmartShareEndpoint.Shorten(element.GetRawText())}",
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => "null",
    };
}
