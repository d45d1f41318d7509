using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace SmartShare.Node.Http;

/// <summary>
/// Reads a JSON request body for the API's POST endpoints. The body must say <c>Content-Type: application/json</c>:
/// a browser may send text/plain or a form to another site without asking, but must ask first (a CORS preflight,
/// which the node never grants) before it sends JSON.
/// </summary>
internal static class JsonBody
{
    /// <summary>
    /// How every API body is parsed: at most 32 levels deep, and a key given twice is a parse error rather than an
    /// exception when the object is first read (which was a 500).
    /// </summary>
    public static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = 32, AllowDuplicateProperties = false };

    /// <summary>
    /// <paramref name="body"/> parsed with <see cref="ParseOptions"/>. Bytes that are not UTF-8 are a
    /// <see cref="JsonException"/> like any other malformed body: the JSON reader checks a string's bytes only when
    /// the string is read, which was an InvalidOperationException deep inside a method (found by fuzzing).
    /// </summary>
    public static JsonNode? Parse(ReadOnlySpan<byte> body) =>
        System.Text.Unicode.Utf8.IsValid(body)
            ? JsonNode.Parse(body, documentOptions: ParseOptions)
            : throw new JsonException("The body is not UTF-8 text.");

    /// <summary>Whether the request declares a JSON body.</summary>
    public static bool IsJson(HttpRequest request) =>
        MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
        && type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase);

    /// <summary>The body as a JSON object, or null after answering with the error (wrong type, too large, not an object).</summary>
    public static async Task<JsonObject?> ReadAsync(HttpContext context, int maxBytes)
    {
        if (!IsJson(context.Request))
        {
            await ApiRefusal.WriteAsync(context, StatusCodes.Status415UnsupportedMediaType, NotJsonMessage(context.Request));
            return null;
        }

        var bytes = await ReadBoundedAsync(context.Request.Body, maxBytes, context.RequestAborted);
        if (bytes is null)
        {
            await ApiRefusal.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, $"The request is larger than {maxBytes} bytes.");
            return null;
        }

        try
        {
            if (Parse(bytes) is JsonObject body)
            {
                return body;
            }
        }
        catch (JsonException)
        {
            // Answered below in our words.
        }

        await ApiRefusal.WriteAsync(context, StatusCodes.Status400BadRequest, "The request body must be one JSON object.");
        return null;
    }

    public static string NotJsonMessage(HttpRequest request) =>
        $"The API takes JSON only: send the header Content-Type: application/json (this request said '{(string.IsNullOrEmpty(request.ContentType) ? "nothing" : Sentences.Shorten(request.ContentType))}').";

    /// <summary>The body, or null when it is over <paramref name="maxBytes"/> (read no further than that).</summary>
    public static async Task<byte[]?> ReadBoundedAsync(Stream body, int maxBytes, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(Math.Min(4096, maxBytes + 1));
        while (true)
        {
            var memory = buffer.GetMemory(4096);
            var read = await body.ReadAsync(memory, cancellationToken);
            if (read == 0)
            {
                return buffer.WrittenSpan.ToArray();
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > maxBytes)
            {
                return null;
            }
        }
    }
}
