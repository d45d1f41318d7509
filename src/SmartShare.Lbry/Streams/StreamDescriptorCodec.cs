using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SmartShare.Lbry.Blobs;

namespace SmartShare.Lbry.Streams;

/// <summary>
/// Reads and writes sd blobs exactly as lbry-sdk does (lbry/stream/descriptor.py). Writing produces
/// Python's <c>json.dumps(sort_keys=True)</c> bytes; reading accepts any JSON layout (the bytes are already
/// bound to the sd hash) and then checks the descriptor as lbry-sdk does, plus what makes it usable here:
/// hex that parses, lengths a blob can have, and names that are valid UTF-8.
/// </summary>
public static class StreamDescriptorCodec
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The canonical sd blob (sorted keys, <c>", "</c> and <c>": "</c> separators).</summary>
    public static byte[] Serialize(StreamDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);

        // Sized exactly up front: a large stream's descriptor is near 2 MiB, and growing a buffer to that
        // size would leave several large arrays for the GC's slowest generation.
        var json = new JsonText(checked((int)CanonicalLength(
            descriptor.StreamName, descriptor.Key.Length, descriptor.SuggestedFileName, descriptor.Blobs.Select(blob => blob.Length))));
        json.Raw("{\"blobs\": [");
        for (var i = 0; i < descriptor.Blobs.Count; i++)
        {
            var blob = descriptor.Blobs[i];
            json.Raw(i == 0 ? "{" : ", {");
            if (!blob.IsTerminator)
            {
                json.Raw("\"blob_hash\": ").String(blob.BlobHash!.Value.ToString()).Raw(", ");
            }

            json.Raw("\"blob_num\": ").Integer(blob.BlobNum)
                .Raw(", \"iv\": ").String(blob.Iv)
                .Raw(", \"length\": ").Integer(blob.Length).Raw("}");
        }

        json.Raw("], \"key\": ").String(descriptor.Key)
            .Raw(", \"stream_hash\": ").String(descriptor.StreamHash)
            .Raw(", \"stream_name\": ").String(HexOfName(descriptor.StreamName))
            .Raw(", \"stream_type\": ").String(StreamDescriptor.LbryFileType)
            .Raw(", \"suggested_file_name\": ").String(HexOfName(descriptor.SuggestedFileName))
            .Raw("}");
        return json.ToArray();
    }

    /// <summary>
    /// The legacy insertion-order layout (descriptor.py <c>old_sort_json</c>), which some early streams were
    /// published with; only needed to recognize their sd hashes.
    /// </summary>
    public static byte[] SerializeOldSort(StreamDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        var json = new JsonText();
        json.Raw("{\"stream_name\": ").String(HexOfName(descriptor.StreamName)).Raw(", \"blobs\": [");
        for (var i = 0; i < descriptor.Blobs.Count; i++)
        {
            var blob = descriptor.Blobs[i];
            json.Raw(i == 0 ? "{" : ", {")
                .Raw("\"length\": ").Integer(blob.Length)
                .Raw(", \"blob_num\": ").Integer(blob.BlobNum);
            if (!blob.IsTerminator)
            {
                json.Raw(", \"blob_hash\": ").String(blob.BlobHash!.Value.ToString());
            }

            json.Raw(", \"iv\": ").String(blob.Iv).Raw("}");
        }

        json.Raw("], \"stream_type\": ").String(StreamDescriptor.LbryFileType)
            .Raw(", \"key\": ").String(descriptor.Key)
            .Raw(", \"suggested_file_name\": ").String(HexOfName(descriptor.SuggestedFileName))
            .Raw(", \"stream_hash\": ").String(descriptor.StreamHash)
            .Raw("}");
        return json.ToArray();
    }

    /// <summary>
    /// The exact length of <see cref="Serialize"/>'s output for a stream with these names and blob lengths
    /// (terminator included, as 0), known before any blob exists: every other field has a fixed width.
    /// </summary>
    public static long CanonicalLength(string streamName, int keyHexLength, string suggestedFileName, IEnumerable<int> blobLengths)
    {
        ArgumentNullException.ThrowIfNull(blobLengths);
        const int IvText = 2 + 32;
        const int HashText = 2 + BlobHash.HexLength;
        long length = "{\"blobs\": [".Length;
        var blobNum = 0;
        foreach (var blobLength in blobLengths)
        {
            length += blobNum == 0 ? "{".Length : ", {".Length;
            if (blobLength != 0)
            {
                length += "\"blob_hash\": ".Length + HashText + ", ".Length;
            }

            length += "\"blob_num\": ".Length + Digits(blobNum) + ", \"iv\": ".Length + IvText
                + ", \"length\": ".Length + Digits(blobLength) + "}".Length;
            blobNum++;
        }

        return length
            + "], \"key\": ".Length + 2 + keyHexLength
            + ", \"stream_hash\": ".Length + HashText
            + ", \"stream_name\": ".Length + 2 + (2L * StrictUtf8.GetByteCount(streamName))
            + ", \"stream_type\": ".Length + 2 + StreamDescriptor.LbryFileType.Length
            + ", \"suggested_file_name\": ".Length + 2 + (2L * StrictUtf8.GetByteCount(suggestedFileName))
            + "}".Length;
    }

    /// <summary>
    /// stream_hash = hex(sha384(hex(name) ‖ key ‖ hex(suggested name) ‖ sha384(Σ sha384(blob fields)))),
    /// over the ASCII text of each field (descriptor.py <c>calculate_stream_hash</c>).
    /// </summary>
    public static string ComputeStreamHash(string streamName, string key, string suggestedFileName, IReadOnlyList<StreamBlobInfo> blobs)
    {
        ArgumentNullException.ThrowIfNull(blobs);
        using var blobsDigest = IncrementalHash.CreateHash(HashAlgorithmName.SHA384);
        Span<byte> digest = stackalloc byte[BlobHash.Size];
        var text = new JsonText();
        foreach (var blob in blobs)
        {
            text.Clear();
            if (!blob.IsTerminator)
            {
                text.Raw(blob.BlobHash!.Value.ToString());
            }

            text.Integer(blob.BlobNum).Raw(blob.Iv).Integer(blob.Length);
            SHA384.HashData(text.WrittenSpan, digest);
            blobsDigest.AppendData(digest);
        }

        blobsDigest.GetHashAndReset(digest);
        using var stream = IncrementalHash.CreateHash(HashAlgorithmName.SHA384);
        text.Clear();
        text.Raw(HexOfName(streamName)).Raw(key).Raw(HexOfName(suggestedFileName));
        stream.AppendData(text.WrittenSpan);
        stream.AppendData(digest);
        return Convert.ToHexStringLower(stream.GetHashAndReset());
    }

    /// <summary>Parses and checks an sd blob. Any problem is an <see cref="InvalidStreamDescriptorException"/>.</summary>
    public static StreamDescriptor Parse(ReadOnlySpan<byte> sdBlob, string? sdHashForMessages = null)
    {
        var what = sdHashForMessages is null ? "The stream descriptor" : $"The stream descriptor {sdHashForMessages}";
        if (sdBlob.Length > BlobStore.MaxBlobSize)
        {
            throw new InvalidStreamDescriptorException($"{what} is {sdBlob.Length} bytes, over the {BlobStore.MaxBlobSize}-byte blob limit.");
        }

        RawDescriptor raw;
        try
        {
            raw = ReadJson(sdBlob);
        }
        catch (JsonException ex)
        {
            // .NET's message quotes the offending character, which comes from the network: say where, in our words.
            var where = ex.BytePositionInLine is { } column
                ? $" (line {(ex.LineNumber ?? 0) + 1}, byte {column + 1})"
                : string.Empty;
            throw new InvalidStreamDescriptorException($"{what} is not valid JSON{where}.", ex);
        }
        catch (DescriptorShapeException ex)
        {
            throw new InvalidStreamDescriptorException($"{what} is malformed: {ex.Message}", ex);
        }

        try
        {
            return Validate(raw);
        }
        catch (DescriptorShapeException ex)
        {
            throw new InvalidStreamDescriptorException($"{what} is invalid: {ex.Message}", ex);
        }
    }

    private static StreamDescriptor Validate(RawDescriptor raw)
    {
        var key = raw.Key ?? throw new DescriptorShapeException("it has no \"key\".");
        var streamHash = raw.StreamHash ?? throw new DescriptorShapeException("it has no \"stream_hash\".");
        var streamName = DecodeName(raw.StreamName ?? throw new DescriptorShapeException("it has no \"stream_name\"."), "stream_name");
        var suggested = DecodeName(raw.SuggestedFileName ?? throw new DescriptorShapeException("it has no \"suggested_file_name\"."), "suggested_file_name");
        RequireHex(key, 32, "key");
        if (raw.Blobs is null || raw.Blobs.Count == 0)
        {
            throw new DescriptorShapeException("it has no blobs, not even the terminator.");
        }

        var blobs = new List<StreamBlobInfo>(raw.Blobs.Count);
        for (var position = 0; position < raw.Blobs.Count; position++)
        {
            var entry = raw.Blobs[position];
            var last = position == raw.Blobs.Count - 1;
            if (entry.BlobNum != position)
            {
                throw new DescriptorShapeException($"blob {position} has blob_num {Describe(entry.BlobNum)}: blobs must be numbered 0, 1, 2, ... in order.");
            }

            var length = entry.Length ?? throw new DescriptorShapeException($"blob {position} has no length.");
            var iv = entry.Iv ?? throw new DescriptorShapeException($"blob {position} has no iv.");
            RequireHex(iv, 32, $"the iv of blob {position}");
            if (last)
            {
                if (length != 0)
                {
                    throw new DescriptorShapeException("it does not end with a zero-length terminator blob.");
                }

                if (entry.BlobHash is not null)
                {
                    throw new DescriptorShapeException("the stream terminator has a blob_hash; it must have none.");
                }

                blobs.Add(new StreamBlobInfo(position, 0, iv, null));
                continue;
            }

            if (length == 0)
            {
                throw new DescriptorShapeException($"data blob {position} has length 0; only the terminator may.");
            }

            if (length < 16 || length > BlobStore.MaxBlobSize || length % 16 != 0)
            {
                throw new DescriptorShapeException($"data blob {position} has length {length}; an encrypted blob is a multiple of 16 bytes up to {BlobStore.MaxBlobSize}.");
            }

            if (entry.BlobHash is null || !BlobHash.TryParse(entry.BlobHash, out var hash))
            {
                throw new DescriptorShapeException($"data blob {position} has no valid blob_hash (96 lowercase hex digits).");
            }

            blobs.Add(new StreamBlobInfo(position, length, iv, hash));
        }

        var computed = ComputeStreamHash(streamName, key, suggested, blobs);
        if (!string.Equals(computed, streamHash, StringComparison.Ordinal))
        {
            throw new DescriptorShapeException($"its stream_hash {Shorten(streamHash)} does not match its content (which hashes to {computed}).");
        }

        return new StreamDescriptor(streamName, key, suggested, streamHash, blobs);
    }

    private static RawDescriptor ReadJson(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 8 });
        var raw = new RawDescriptor();
        Expect(ref reader, JsonTokenType.StartObject, "the top level must be a JSON object");
        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            var name = Text(ref reader, "a field name");
            Next(ref reader);
            switch (name)
            {
                case "blobs":
                    raw.Blobs = ReadBlobs(ref reader);
                    break;
                case "key":
                    raw.Key = ReadString(ref reader, name);
                    break;
                case "stream_hash":
                    raw.StreamHash = ReadString(ref reader, name);
                    break;
                case "stream_name":
                    raw.StreamName = ReadString(ref reader, name);
                    break;
                case "suggested_file_name":
                    raw.SuggestedFileName = ReadString(ref reader, name);
                    break;
                default:
                    // stream_type is not checked by lbry-sdk; unknown fields are ignored like it does.
                    reader.Skip();
                    break;
            }
        }

        if (reader.Read())
        {
            throw new DescriptorShapeException("there is more after the JSON object.");
        }

        return raw;
    }

    private static List<RawBlob> ReadBlobs(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new DescriptorShapeException("\"blobs\" must be a list.");
        }

        var blobs = new List<RawBlob>();
        while (Next(ref reader) != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new DescriptorShapeException($"blob entry {blobs.Count} is not an object.");
            }

            var blob = new RawBlob();
            while (Next(ref reader) != JsonTokenType.EndObject)
            {
                var name = Text(ref reader, "a field name");
                Next(ref reader);
                switch (name)
                {
                    case "blob_hash":
                        blob.BlobHash = ReadString(ref reader, "blob_hash");
                        break;
                    case "blob_num":
                        blob.BlobNum = ReadInt(ref reader, "blob_num");
                        break;
                    case "iv":
                        blob.Iv = ReadString(ref reader, "iv");
                        break;
                    case "length":
                        blob.Length = ReadInt(ref reader, "length");
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }

            blobs.Add(blob);
        }

        return blobs;
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new DescriptorShapeException("the JSON ends early.");
        }

        return reader.TokenType;
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string message)
    {
        if (Next(ref reader) != type)
        {
            throw new DescriptorShapeException(message + ".");
        }
    }

    private static string ReadString(ref Utf8JsonReader reader, string field) =>
        reader.TokenType == JsonTokenType.String
            ? Text(ref reader, $"\"{field}\"")
            : throw new DescriptorShapeException($"\"{field}\" must be a string.");

    private static string Text(ref Utf8JsonReader reader, string what)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException ex)
        {
            // The reader checks UTF-8 only when a string is decoded.
            throw new DescriptorShapeException($"{what} is not valid UTF-8 ({ex.Message}).");
        }
    }

    private static int ReadInt(ref Utf8JsonReader reader, string field) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var value) && value >= 0
            ? value
            : throw new DescriptorShapeException($"\"{field}\" must be a non-negative integer.");

    private static void RequireHex(string text, int length, string what)
    {
        if (text.Length != length || !text.All(char.IsAsciiHexDigit))
        {
            throw new DescriptorShapeException($"{what} must be {length} hex digits, not '{Shorten(text)}'.");
        }
    }

    private static string DecodeName(string hex, string field)
    {
        if (hex.Length % 2 != 0 || !hex.All(char.IsAsciiHexDigit))
        {
            throw new DescriptorShapeException($"\"{field}\" must be hex, not '{Shorten(hex)}'.");
        }

        try
        {
            return StrictUtf8.GetString(Convert.FromHexString(hex));
        }
        catch (DecoderFallbackException ex)
        {
            throw new DescriptorShapeException($"\"{field}\" is not UTF-8 text ({ex.Message}).");
        }
    }

    private static int Digits(int value) => value < 10 ? 1 : (int)Math.Floor(Math.Log10(value)) + 1;

    private static string HexOfName(string name) => Convert.ToHexStringLower(StrictUtf8.GetBytes(name));

    private static string Describe(int? value) => value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "missing";

    private static string Shorten(string text) => text.Length <= 100 ? text : string.Concat(text.AsSpan(0, 97), "...");

    private sealed class RawDescriptor
    {
        public List<RawBlob>? Blobs { get; set; }

        public string? Key { get; set; }

        public string? StreamHash { get; set; }

        public string? StreamName { get; set; }

        public string? SuggestedFileName { get; set; }
    }

    private sealed class RawBlob
    {
        public string? BlobHash { get; set; }

        public int? BlobNum { get; set; }

        public string? Iv { get; set; }

        public int? Length { get; set; }
    }

    private sealed class DescriptorShapeException(string message) : Exception(message);

    /// <summary>ASCII output for the descriptor's fixed layout; every string written is hex or a constant.</summary>
    private sealed class JsonText(int capacity = 256)
    {
        private byte[] _buffer = new byte[capacity];
        private int _count;

        public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _count);

        public JsonText Raw(string ascii)
        {
            _count += Encoding.ASCII.GetBytes(ascii, Room(ascii.Length));
            return this;
        }

        public JsonText String(string ascii) => Raw("\"").Raw(ascii).Raw("\"");

        public JsonText Integer(int value)
        {
            if (!Utf8Formatter.TryFormat(value, Room(11), out var written))
            {
                throw new InvalidOperationException("An integer did not fit in 11 bytes.");
            }

            _count += written;
            return this;
        }

        public void Clear() => _count = 0;

        /// <summary>The bytes written; the buffer itself when it was sized exactly.</summary>
        public byte[] ToArray() => _count == _buffer.Length ? _buffer : _buffer.AsSpan(0, _count).ToArray();

        private Span<byte> Room(int needed)
        {
            if (_buffer.Length - _count < needed)
            {
                Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _count + needed));
            }

            return _buffer.AsSpan(_count);
        }
    }
}
