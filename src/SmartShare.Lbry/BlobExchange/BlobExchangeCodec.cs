using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using SmartShare.Lbry.Blobs;

namespace SmartShare.Lbry.BlobExchange;

/// <summary>
/// Blob-exchange messages as bytes, exactly as lbry-sdk writes them. Pure: no I/O. Every malformed input ends in
/// <see cref="BlobExchangeFormatException"/>.
/// </summary>
public static class BlobExchangeCodec
{
    /// <summary>lbry-sdk's server closes a connection once this much request data is buffered.</summary>
    public const int MaxRequestSize = 1200;

    /// <summary>
    /// Our bound on a response header. lbry-sdk's largest is about 400 bytes; a peer that sends more without
    /// finishing a JSON object is not speaking the protocol.
    /// </summary>
    public const int MaxResponseHeaderSize = 8 * 1024;

    private const int MaxEscapedHashBytes = BlobHash.HexLength * 6;

    /// <summary>Writes the request lbry-sdk sends for one blob (295 bytes).</summary>
    public static void WriteRequest(BlobHash hash, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        PythonJsonWriter.Raw(output, "{\"requested_blobs\": ["u8);
        PythonJsonWriter.Hash(output, hash);
        PythonJsonWriter.Raw(output, "], \"lbrycrd_address\": true, \"blob_data_payment_rate\": 0.0, \"requested_blob\": "u8);
        PythonJsonWriter.Hash(output, hash);
        PythonJsonWriter.Raw(output, "}"u8);
    }

    /// <summary>Writes a request with the keys it has, in lbry-sdk's order.</summary>
    public static void WriteRequest(BlobRequest request, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(output);
        var separator = new Separator(output);
        PythonJsonWriter.Raw(output, "{"u8);
        if (request.RequestedBlobs is { } requested)
        {
            separator.Key("requested_blobs"u8);
            PythonJsonWriter.HashList(output, requested);
        }

        if (request.LbrycrdAddress is { } address)
        {
            separator.Key("lbrycrd_address"u8);
            PythonJsonWriter.Raw(output, address ? "true"u8 : "false"u8);
        }

        if (request.BlobDataPaymentRate is { } rate)
        {
            separator.Key("blob_data_payment_rate"u8);
            PythonJsonWriter.Double(output, rate);
        }

        if (request.RequestedBlob is { } blob)
        {
            separator.Key("requested_blob"u8);
            PythonJsonWriter.Hash(output, blob);
        }

        PythonJsonWriter.Raw(output, "}"u8);
    }

    public static byte[] EncodeRequest(BlobRequest request)
    {
        var output = new ArrayBufferWriter<byte>(320);
        WriteRequest(request, output);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Writes a response header in lbry-sdk's key order: incoming_blob, blob_data_payment_rate, available_blobs,
    /// lbrycrd_address (the reverse of the order its server builds the parts in).
    /// </summary>
    public static void WriteResponse(BlobResponse response, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(output);
        var separator = new Separator(output);
        PythonJsonWriter.Raw(output, "{"u8);
        if (response.IncomingBlob is { } incoming)
        {
            separator.Key("incoming_blob"u8);
            if (incoming.Error is { } error)
            {
                PythonJsonWriter.Raw(output, "{\"error\": "u8);
                PythonJsonWriter.String(output, error);
            }
            else
            {
                PythonJsonWriter.Raw(output, "{\"blob_hash\": "u8);
                PythonJsonWriter.Hash(output, incoming.Hash!.Value);
                PythonJsonWriter.Raw(output, ", \"length\": "u8);
                PythonJsonWriter.Integer(output, incoming.Length);
            }

            PythonJsonWriter.Raw(output, "}"u8);
        }

        if (response.BlobDataPaymentRate is { } rate)
        {
            separator.Key("blob_data_payment_rate"u8);
            PythonJsonWriter.String(output, rate);
        }

        if (response.AvailableBlobs is { } available)
        {
            separator.Key("available_blobs"u8);
            PythonJsonWriter.HashList(output, available);
        }

        if (response.LbrycrdAddress is { } address)
        {
            separator.Key("lbrycrd_address"u8);
            PythonJsonWriter.String(output, address);
        }

        PythonJsonWriter.Raw(output, "}"u8);
    }

    public static byte[] EncodeResponse(BlobResponse response)
    {
        var output = new ArrayBufferWriter<byte>(400);
        WriteResponse(response, output);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Reads a whole buffered request as the server does: one JSON object and nothing else but whitespace, under
    /// <see cref="MaxRequestSize"/> bytes, holding at least one known key. Unknown keys are ignored.
    /// </summary>
    public static BlobRequest DecodeRequest(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length >= MaxRequestSize)
        {
            throw new BlobExchangeFormatException($"A request of {bytes.Length} bytes is too long; the limit is {MaxRequestSize - 1}.");
        }

        IReadOnlyList<BlobHash>? requestedBlobs = null;
        bool? lbrycrdAddress = null;
        double? rate = null;
        BlobHash? requestedBlob = null;
        var reader = new Utf8JsonReader(bytes, isFinalBlock: true, default);
        try
        {
            ExpectObjectStart(ref reader, "request");
            while (NextKey(ref reader))
            {
                if (reader.ValueTextEquals("requested_blobs"u8))
                {
                    requestedBlobs = ReadHashList(ref reader, "requested_blobs");
                }
                else if (reader.ValueTextEquals("lbrycrd_address"u8))
                {
                    Read(ref reader);
                    lbrycrdAddress = reader.TokenType switch
                    {
                        JsonTokenType.True => true,
                        JsonTokenType.False => false,
                        _ => throw new BlobExchangeFormatException($"lbrycrd_address is {reader.TokenType}, not true or false."),
                    };
                }
                else if (reader.ValueTextEquals("blob_data_payment_rate"u8))
                {
                    Read(ref reader);
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out var value))
                    {
                        throw new BlobExchangeFormatException($"blob_data_payment_rate is {reader.TokenType}, not a number.");
                    }

                    rate = value;
                }
                else if (reader.ValueTextEquals("requested_blob"u8))
                {
                    Read(ref reader);
                    requestedBlob = ReadHash(ref reader, "requested_blob");
                }
                else
                {
                    // lbry-sdk's server ignores keys it does not know, as long as one it knows is there.
                    Read(ref reader);
                    SkipValue(ref reader);
                }
            }

            // Only whitespace may follow the object: Python's json.loads refuses "extra data".
            if (reader.Read())
            {
                throw new BlobExchangeFormatException($"Extra data after the request object at byte {reader.TokenStartIndex}.");
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            throw new BlobExchangeFormatException($"The request is not valid JSON: {ex.Message}", ex);
        }

        if (requestedBlobs is null && lbrycrdAddress is null && rate is null && requestedBlob is null)
        {
            throw new BlobExchangeFormatException("The request holds none of the keys the blob-exchange protocol knows.");
        }

        return new BlobRequest
        {
            RequestedBlobs = requestedBlobs,
            LbrycrdAddress = lbrycrdAddress,
            BlobDataPaymentRate = rate,
            RequestedBlob = requestedBlob,
        };
    }

    /// <summary>
    /// Splits a response header off the start of what a client has buffered. lbry-sdk takes the shortest prefix
    /// ending at '}' that parses as a JSON object; for a stream that starts with an object that is exactly that
    /// object, so one JSON reader finds it. Returns false when more bytes are needed; the bytes after
    /// <paramref name="headerLength"/> are blob body.
    /// </summary>
    /// <remarks>
    /// Where lbry-sdk would wait for more data until it times out (a header that is not JSON, or has a key such as a
    /// top-level "error"), this throws instead, so a broken peer is dropped at once.
    /// </remarks>
    public static bool TryDecodeResponse(ReadOnlySpan<byte> buffered, [NotNullWhen(true)] out BlobResponse? response, out int headerLength)
    {
        response = null;
        headerLength = 0;
        var window = buffered.Length > MaxResponseHeaderSize ? buffered[..MaxResponseHeaderSize] : buffered;
        var reader = new Utf8JsonReader(window, isFinalBlock: false, default);
        try
        {
            if (!reader.Read())
            {
                return NeedMore(buffered.Length);
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new BlobExchangeFormatException($"The response starts with {reader.TokenType}, not a JSON object.");
            }

            if (!reader.TrySkip())
            {
                return NeedMore(buffered.Length);
            }
        }
        catch (JsonException ex)
        {
            throw new BlobExchangeFormatException($"The response header is not valid JSON: {ex.Message}", ex);
        }

        headerLength = checked((int)reader.BytesConsumed);
        response = DecodeResponseHeader(buffered[..headerLength]);
        return true;
    }

    /// <summary>Reads one complete response header (nothing may follow it).</summary>
    public static BlobResponse DecodeResponseHeader(ReadOnlySpan<byte> header)
    {
        IncomingBlob? incoming = null;
        string? rate = null;
        IReadOnlyList<BlobHash>? available = null;
        string? address = null;
        var reader = new Utf8JsonReader(header, isFinalBlock: true, default);
        try
        {
            ExpectObjectStart(ref reader, "response");
            while (NextKey(ref reader))
            {
                if (reader.ValueTextEquals("incoming_blob"u8))
                {
                    incoming = ReadIncomingBlob(ref reader);
                }
                else if (reader.ValueTextEquals("blob_data_payment_rate"u8))
                {
                    Read(ref reader);
                    rate = ReadString(ref reader, "blob_data_payment_rate");
                }
                else if (reader.ValueTextEquals("available_blobs"u8))
                {
                    available = ReadHashList(ref reader, "available_blobs");
                }
                else if (reader.ValueTextEquals("lbrycrd_address"u8))
                {
                    Read(ref reader);
                    address = reader.TokenType == JsonTokenType.Null ? null : ReadString(ref reader, "lbrycrd_address");
                }
                else
                {
                    throw new BlobExchangeFormatException($"The response has the key \"{reader.GetString()}\", which the protocol does not know.");
                }
            }

            if (reader.Read())
            {
                throw new BlobExchangeFormatException($"Extra data after the response header at byte {reader.TokenStartIndex}.");
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            throw new BlobExchangeFormatException($"The response header is not valid JSON: {ex.Message}", ex);
        }

        return new BlobResponse
        {
            IncomingBlob = incoming,
            BlobDataPaymentRate = rate,
            AvailableBlobs = available,
            LbrycrdAddress = address,
        };
    }

    private static bool NeedMore(int buffered) =>
        buffered < MaxResponseHeaderSize
            ? false
            : throw new BlobExchangeFormatException(
                $"The response header is not complete after {MaxResponseHeaderSize} bytes; lbry-sdk's are a few hundred.");

    private static IncomingBlob ReadIncomingBlob(ref Utf8JsonReader reader)
    {
        ExpectObjectStart(ref reader, "incoming_blob");
        BlobHash? hash = null;
        long? length = null;
        string? error = null;
        while (NextKey(ref reader))
        {
            if (reader.ValueTextEquals("blob_hash"u8))
            {
                Read(ref reader);
                hash = ReadHash(ref reader, "incoming_blob.blob_hash");
            }
            else if (reader.ValueTextEquals("length"u8))
            {
                Read(ref reader);
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var value))
                {
                    throw new BlobExchangeFormatException("incoming_blob.length is not an integer.");
                }

                length = value;
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                Read(ref reader);
                error = reader.TokenType == JsonTokenType.String ? reader.GetString()! : SkipToText(ref reader);
            }
            else
            {
                throw new BlobExchangeFormatException($"incoming_blob has the key \"{reader.GetString()}\", which the protocol does not know.");
            }
        }

        if (error is not null)
        {
            return IncomingBlob.Failed(error);
        }

        if (hash is null || length is null)
        {
            throw new BlobExchangeFormatException("incoming_blob needs both blob_hash and length, or an error.");
        }

        return new IncomingBlob(hash.Value, length.Value);
    }

    private static string SkipToText(ref Utf8JsonReader reader)
    {
        var kind = reader.TokenType.ToString();
        SkipValue(ref reader);
        return kind;
    }

    private static List<BlobHash> ReadHashList(ref Utf8JsonReader reader, string what)
    {
        Read(ref reader);
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new BlobExchangeFormatException($"{what} is {reader.TokenType}, not a list.");
        }

        var hashes = new List<BlobHash>(1);
        while (true)
        {
            Read(ref reader);
            if (reader.TokenType == JsonTokenType.EndArray)
            {
                return hashes;
            }

            hashes.Add(ReadHash(ref reader, what));
        }
    }

    private static BlobHash ReadHash(ref Utf8JsonReader reader, string what)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new BlobExchangeFormatException($"{what} holds {reader.TokenType}, not a blob hash.");
        }

        if (reader.ValueSpan.Length > MaxEscapedHashBytes)
        {
            throw new BlobExchangeFormatException($"{what} holds a string of {reader.ValueSpan.Length} bytes, not a blob hash.");
        }

        Span<char> text = stackalloc char[MaxEscapedHashBytes];
        var length = reader.CopyString(text);
        if (!BlobHash.TryParse(text[..length], out var hash))
        {
            throw new BlobExchangeFormatException($"{what} holds \"{text[..Math.Min(length, 120)].ToString()}\", not 96 lowercase hex digits.");
        }

        return hash;
    }

    private static string ReadString(ref Utf8JsonReader reader, string what) =>
        reader.TokenType == JsonTokenType.String
            ? reader.GetString()!
            : throw new BlobExchangeFormatException($"{what} is {reader.TokenType}, not a string.");

    private static void ExpectObjectStart(ref Utf8JsonReader reader, string what)
    {
        Read(ref reader);
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new BlobExchangeFormatException($"The {what} is {reader.TokenType}, not a JSON object.");
        }
    }

    /// <summary>Moves to the next property name; false at the end of the object.</summary>
    private static bool NextKey(ref Utf8JsonReader reader)
    {
        Read(ref reader);
        return reader.TokenType == JsonTokenType.PropertyName;
    }

    private static void Read(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new BlobExchangeFormatException($"The JSON ends early at byte {reader.BytesConsumed}.");
        }
    }

    private static void SkipValue(ref Utf8JsonReader reader)
    {
        if (!reader.TrySkip())
        {
            throw new BlobExchangeFormatException($"The JSON ends early at byte {reader.BytesConsumed}.");
        }
    }

    /// <summary>Writes ", " between keys, the way Python separates items.</summary>
    private struct Separator(IBufferWriter<byte> output)
    {
        private bool _first = true;

        public void Key(ReadOnlySpan<byte> name)
        {
            if (!_first)
            {
                PythonJsonWriter.Raw(output, ", "u8);
            }

            _first = false;
            PythonJsonWriter.Raw(output, "\""u8);
            PythonJsonWriter.Raw(output, name);
            PythonJsonWriter.Raw(output, "\": "u8);
        }
    }
}
