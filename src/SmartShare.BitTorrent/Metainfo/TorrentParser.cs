using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Text;
using SmartShare.Bencode;

namespace SmartShare.BitTorrent.Metainfo;

/// <summary>
/// Parses v1 .torrent files (BEP 3) in strict bencode, keeping announce-list tiers (BEP 12), <c>nodes</c> (BEP 5)
/// and <c>url-list</c> (BEP 19). A hybrid v1/v2 torrent (BEP 52) is read through its v1 part: its pad files (BEP 47)
/// become gaps between files, and its v2 <c>file tree</c> and <c>piece layers</c> are ignored. Every rule of <see cref="TorrentLimits"/> and <see cref="TorrentPaths"/> is
/// enforced; unknown keys are ignored. Only <see cref="TorrentFormatException"/> escapes.
/// </summary>
public static class TorrentParser
{
    // Every bencode item takes at least two bytes, so the item limit never binds before the size limit does.
    private static readonly BencodeLimits Limits = new()
    {
        MaxByteStringLength = TorrentLimits.MaxMetainfoBytes,
        MaxItems = TorrentLimits.MaxMetainfoBytes / 2,
    };

    private const string V2OnlySentence =
        "it is a BitTorrent v2-only torrent (no v1 \"pieces\"), which SmartShare cannot download yet; v1 and hybrid v1/v2 torrents work";

    /// <summary>Parses a .torrent file. The result holds its own copy of the bytes it needs.</summary>
    /// <exception cref="TorrentFormatException">The bytes are not a usable v1 torrent; the message says why.</exception>
    public static Torrent Parse(ReadOnlyMemory<byte> input) => Parse(input.Span);

    /// <inheritdoc cref="Parse(ReadOnlyMemory{byte})"/>
    public static Torrent Parse(ReadOnlySpan<byte> input)
    {
        if (input.Length > TorrentLimits.MaxMetainfoBytes)
        {
            throw new TorrentFormatException(
                $"The torrent file is {input.Length} bytes; files over {TorrentLimits.MaxMetainfoBytes} bytes are refused.");
        }

        // One private copy, so the torrent's slices cannot change under it when the caller reuses its buffer.
        var bytes = input.ToArray();
        BencodeValue root;
        (int Start, int End) infoRange;
        try
        {
            root = BencodeDecoder.Decode(bytes, BencodeMode.Strict, Limits);
            infoRange = FindInfoRange(bytes);
        }
        catch (BencodeFormatException e)
        {
            throw new TorrentFormatException($"The torrent file is not valid bencode: {e.Reason} at byte offset {e.Offset}.", e);
        }

        if (root is not BencodeDictionary outer)
        {
            throw new TorrentFormatException("The torrent file is not a bencoded dictionary.");
        }

        if (!outer.TryGetValue("info", out var infoValue) || infoValue is not BencodeDictionary infoDictionary)
        {
            throw new TorrentFormatException("The torrent file has no \"info\" dictionary.");
        }

        var info = ParseInfo(infoDictionary);
        var rawInfo = bytes.AsMemory(infoRange.Start, infoRange.End - infoRange.Start);
        return new Torrent(
            info,
            InfoHash.Compute(rawInfo.Span),
            rawInfo,
            OptionalText(outer, "announce"),
            ParseAnnounceList(outer),
            ParseNodes(outer),
            ParseUrlList(outer),
            OptionalText(outer, "comment"),
            OptionalText(outer, "created by"),
            ParseCreationDate(outer));
    }

    /// <summary>Finds the exact bytes of the top-level <c>info</c> value, which the info hash covers.</summary>
    private static (int Start, int End) FindInfoRange(ReadOnlySpan<byte> input)
    {
        var reader = new BencodeReader(input, BencodeMode.Strict, Limits);
        if (!reader.Read() || reader.TokenType != BencodeTokenType.DictionaryStart)
        {
            return (0, 0);
        }

        while (reader.Read() && reader.TokenType != BencodeTokenType.End)
        {
            var isInfo = reader.GetBytes().SequenceEqual("info"u8);
            reader.Read();
            var start = reader.TokenStart;
            reader.Skip();
            if (isInfo)
            {
                return (start, reader.BytesConsumed);
            }
        }

        return (0, 0);
    }

    private static TorrentInfo ParseInfo(BencodeDictionary info)
    {
        var name = PreferredText(info, "name", "the torrent's name");
        if (TorrentPaths.IsUnsafe(name, out var nameProblem))
        {
            throw new TorrentFormatException($"The torrent's name {nameProblem}.") { ContentFreeReason = $"the torrent's name {TorrentPaths.ContentFreeProblem(name)}" };
        }

        if (!info.TryGetValue("pieces", out var piecesValue))
        {
            throw info.TryGetValue("meta version", out var version) && version is BencodeInteger { Value: 2 }
                ? new TorrentFormatException(V2OnlySentence) { ContentFreeReason = V2OnlySentence }
                : new TorrentFormatException("The info dictionary has no \"pieces\".");
        }

        if (piecesValue is not BencodeByteString { Value: var pieces })
        {
            throw new TorrentFormatException("The info dictionary's \"pieces\" is not a byte string.");
        }

        var pieceLength = RequiredInteger(info, "piece length", "the info dictionary");
        if (pieceLength < TorrentLimits.MinPieceLength || pieceLength > TorrentLimits.MaxPieceLength
            || !BitOperations.IsPow2(pieceLength))
        {
            throw new TorrentFormatException(
                $"The piece length {pieceLength} is not a power of two from {TorrentLimits.MinPieceLength} to {TorrentLimits.MaxPieceLength} bytes.");
        }

        var hasLength = info.TryGetValue("length", out _);
        var hasFiles = info.TryGetValue("files", out var filesValue);
        if (hasLength == hasFiles)
        {
            throw new TorrentFormatException(hasLength
                ? "The info dictionary has both \"length\" and \"files\"; a torrent is either one file or many."
                : "The info dictionary has neither \"length\" nor \"files\".");
        }

        List<TorrentFile> files;
        long total;
        if (hasLength)
        {
            total = RequiredInteger(info, "length", "the info dictionary");
            CheckLength(total, "The file's length");
            files = [new TorrentFile([name], total, 0)];
        }
        else
        {
            (files, total) = ParseFiles(filesValue!);
        }

        if (total < 1)
        {
            throw new TorrentFormatException("The torrent holds no data; its total length is 0.");
        }

        var pieceCount = (total + pieceLength - 1) / pieceLength;
        if (pieceCount > TorrentLimits.MaxPieceCount)
        {
            throw new TorrentFormatException($"The torrent has {pieceCount} pieces; more than {TorrentLimits.MaxPieceCount} are refused.");
        }

        if (pieces.Length != pieceCount * InfoHash.Length)
        {
            throw new TorrentFormatException(
                $"\"pieces\" is {pieces.Length} bytes but {total} bytes in pieces of {pieceLength} need {pieceCount} hashes of 20 bytes ({pieceCount * InfoHash.Length} bytes).");
        }

        var isPrivate = info.TryGetValue("private", out var privateValue) && privateValue is BencodeInteger { Value: 1 };
        var isHybrid = info.TryGetValue("meta version", out var metaVersion) && metaVersion is BencodeInteger { Value: 2 };
        return new TorrentInfo(name, (int)pieceLength, pieces, files, total, isPrivate, hasLength, isHybrid);
    }

    private static (List<TorrentFile> Files, long Total) ParseFiles(BencodeValue filesValue)
    {
        if (filesValue is not BencodeList list || list.Count == 0)
        {
            throw new TorrentFormatException("The info dictionary's \"files\" is not a non-empty list.");
        }

        if (list.Count > TorrentLimits.MaxFiles)
        {
            throw new TorrentFormatException($"The torrent lists {list.Count} files; more than {TorrentLimits.MaxFiles} are refused.");
        }

        var files = new List<TorrentFile>(list.Count);
        var layout = new FileLayout();
        long offset = 0;
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is not BencodeDictionary entry)
            {
                throw new TorrentFormatException($"File {i} in \"files\" is not a dictionary.");
            }

            var where = $"file {i}";
            var length = RequiredInteger(entry, "length", where);
            CheckLength(length, $"The length of {where}");
            if (length > TorrentLimits.MaxTotalLength - offset)
            {
                throw new TorrentFormatException($"The files add up to more than {TorrentLimits.MaxTotalLength} bytes.");
            }

            // A pad file (BEP 47, attr "p": what hybrid v1/v2 torrents put between files so each starts on a piece
            // boundary) is zeros by definition: it is not a file of the torrent, only a gap in its byte stream.
            if (IsPadFile(entry))
            {
                offset += length;
                continue;
            }

            var path = ParsePath(entry, where);
            if (layout.Add(path) is { } clash)
            {
                throw new TorrentFormatException($"The path of {where} {clash}.");
            }

            files.Add(new TorrentFile(path, length, offset));
            offset += length;
        }

        if (files.Count == 0)
        {
            throw new TorrentFormatException("The torrent lists only pad files; it holds no file to download.");
        }

        return (files, offset);
    }

    private static bool IsPadFile(BencodeDictionary entry) =>
        entry.TryGetValue("attr", out var value) && value is BencodeByteString { Value: var attributes } && attributes.Span.Contains((byte)'p');

    private static string[] ParsePath(BencodeDictionary entry, string where)
    {
        // BEP 3 leaves the encoding open; path.utf-8 is how old clients marked a UTF-8 copy, so it wins when valid.
        var components = TryTextList(entry, "path.utf-8") ?? RequiredTextList(entry, "path", where);
        if (components.Length == 0)
        {
            throw new TorrentFormatException($"The path of {where} has no components.");
        }

        if (components.Length > TorrentLimits.MaxPathDepth)
        {
            throw new TorrentFormatException(
                $"The path of {where} is {components.Length} components deep; more than {TorrentLimits.MaxPathDepth} are refused.");
        }

        for (var c = 0; c < components.Length; c++)
        {
            if (TorrentPaths.IsUnsafe(components[c], out var problem))
            {
                throw new TorrentFormatException($"Component {c} of the path of {where} {problem}.")
                {
                    ContentFreeReason = $"a file path in it {TorrentPaths.ContentFreeProblem(components[c])}",
                };
            }
        }

        return components;
    }

    private static string[]? TryTextList(BencodeDictionary dictionary, string key)
    {
        if (!dictionary.TryGetValue(key, out var value) || value is not BencodeList list)
        {
            return null;
        }

        var texts = new string[list.Count];
        for (var i = 0; i < texts.Length; i++)
        {
            if (list[i] is not BencodeByteString bytes || !TryDecodeUtf8(bytes.Value.Span, out var text))
            {
                return null;
            }

            texts[i] = text;
        }

        return texts;
    }

    private static string[] RequiredTextList(BencodeDictionary dictionary, string key, string where)
    {
        if (!dictionary.TryGetValue(key, out var value) || value is not BencodeList list)
        {
            throw new TorrentFormatException($"The \"{key}\" of {where} is missing or not a list.");
        }

        var texts = new string[list.Count];
        for (var i = 0; i < texts.Length; i++)
        {
            if (list[i] is not BencodeByteString bytes)
            {
                throw new TorrentFormatException($"Component {i} of the \"{key}\" of {where} is not a byte string.");
            }

            if (!TryDecodeUtf8(bytes.Value.Span, out var text))
            {
                throw new TorrentFormatException($"Component {i} of the \"{key}\" of {where} is not valid UTF-8.");
            }

            texts[i] = text;
        }

        return texts;
    }

    private static string PreferredText(BencodeDictionary dictionary, string key, string what)
    {
        if (dictionary.TryGetValue(key + ".utf-8", out var preferred) && preferred is BencodeByteString preferredBytes
            && TryDecodeUtf8(preferredBytes.Value.Span, out var preferredText))
        {
            return preferredText;
        }

        if (!dictionary.TryGetValue(key, out var value) || value is not BencodeByteString bytes)
        {
            throw new TorrentFormatException($"The info dictionary has no \"{key}\" byte string for {what}.");
        }

        return TryDecodeUtf8(bytes.Value.Span, out var text)
            ? text
            : throw new TorrentFormatException($"The info dictionary's \"{key}\" is not valid UTF-8.");
    }

    private static long RequiredInteger(BencodeDictionary dictionary, string key, string where) =>
        dictionary.TryGetValue(key, out var value) && value is BencodeInteger integer
            ? integer.Value
            : throw new TorrentFormatException($"The \"{key}\" of {where} is missing or not an integer.");

    private static void CheckLength(long length, string what)
    {
        if (length < 0)
        {
            throw new TorrentFormatException($"{what} is negative ({length}).");
        }

        if (length > TorrentLimits.MaxTotalLength)
        {
            throw new TorrentFormatException($"{what} is {length} bytes; more than {TorrentLimits.MaxTotalLength} are refused.");
        }
    }

    // Fields outside the info dictionary do not change what is downloaded, so a malformed one is dropped, not fatal.
    private static string? OptionalText(BencodeDictionary dictionary, string key) =>
        dictionary.TryGetValue(key, out var value) && value is BencodeByteString bytes && TryDecodeUtf8(bytes.Value.Span, out var text)
            ? text
            : null;

    private static List<IReadOnlyList<string>> ParseAnnounceList(BencodeDictionary outer)
    {
        var tiers = new List<IReadOnlyList<string>>();
        if (!outer.TryGetValue("announce-list", out var value) || value is not BencodeList list)
        {
            return tiers;
        }

        foreach (var tierValue in list.Items)
        {
            if (tierValue is not BencodeList tierList)
            {
                continue;
            }

            var tier = new List<string>();
            foreach (var url in tierList.Items)
            {
                if (url is BencodeByteString bytes && TryDecodeUtf8(bytes.Value.Span, out var text) && text.Length > 0)
                {
                    tier.Add(text);
                }
            }

            if (tier.Count > 0)
            {
                tiers.Add(tier);
            }
        }

        return tiers;
    }

    private static List<TorrentNode> ParseNodes(BencodeDictionary outer)
    {
        var nodes = new List<TorrentNode>();
        if (!outer.TryGetValue("nodes", out var value) || value is not BencodeList list)
        {
            return nodes;
        }

        foreach (var item in list.Items)
        {
            if (item is BencodeList { Count: 2 } pair && pair[0] is BencodeByteString hostBytes
                && TryDecodeUtf8(hostBytes.Value.Span, out var host) && host.Length > 0
                && pair[1] is BencodeInteger { Value: >= 1 and <= 65535 } port)
            {
                nodes.Add(new TorrentNode(host, (int)port.Value));
            }
        }

        return nodes;
    }

    private static List<string> ParseUrlList(BencodeDictionary outer)
    {
        var urls = new List<string>();
        if (!outer.TryGetValue("url-list", out var value))
        {
            return urls;
        }

        // BEP 19 allows a single URL as a plain string as well as a list of them.
        IEnumerable<BencodeValue> items = value is BencodeList list ? list.Items : [value];
        foreach (var item in items)
        {
            if (item is BencodeByteString bytes && TryDecodeUtf8(bytes.Value.Span, out var text) && text.Length > 0)
            {
                urls.Add(text);
            }
        }

        return urls;
    }

    private static DateTimeOffset? ParseCreationDate(BencodeDictionary outer) =>
        outer.TryGetValue("creation date", out var value) && value is BencodeInteger { Value: >= 0 and <= 253_402_300_799 } seconds
            ? DateTimeOffset.FromUnixTimeSeconds(seconds.Value)
            : null;

    private static bool TryDecodeUtf8(ReadOnlySpan<byte> bytes, [NotNullWhen(true)] out string? text)
    {
        text = System.Text.Unicode.Utf8.IsValid(bytes) ? Encoding.UTF8.GetString(bytes) : null;
        return text is not null;
    }
}
