using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Net.Http.Headers;

namespace SmartShare.Node.Streaming;

/// <summary>The HTTP side shared by stream and torrent serving: the Range answer's status and headers, plain errors.</summary>
internal static class RangeResponse
{
    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    /// <summary>
    /// Answers the request's Range for content of <paramref name="length"/> bytes: sets the status (200, 206 or 416)
    /// and headers, and returns the range whose bytes the caller must send, or null when there is no body to send
    /// (416, HEAD, or empty content).
    /// </summary>
    public static ByteRange? Begin(HttpContext context, long length, string fileName)
    {
        var response = context.Response;
        ByteRange range;
        try
        {
            range = ByteRange.Parse(context.Request.Headers.Range, length) ?? new ByteRange(0, length - 1);
        }
        catch (ArgumentOutOfRangeException)
        {
            response.StatusCode = StatusCodes.Status416RangeNotSatisfiable;
            response.Headers.ContentRange = $"bytes */{length}";
            return null;
        }

        var partial = context.Request.Headers.Range.Count > 0 && range.Length != length;
        response.StatusCode = partial ? StatusCodes.Status206PartialContent : StatusCodes.Status200OK;
        response.Headers.AcceptRanges = "bytes";
        response.ContentType = ServedContentType(context, fileName);
        response.ContentLength = length == 0 ? 0 : range.Length;
        if (partial)
        {
            response.Headers.ContentRange = string.Create(CultureInfo.InvariantCulture, $"bytes {range.First}-{range.Last}/{length}");
        }

        return HttpMethods.IsHead(context.Request.Method) || length == 0 ? null : range;
    }

    public static string ContentTypeOf(string fileName) =>
        ContentTypes.TryGetContentType(fileName, out var type) ? type : "application/octet-stream";

    /// <summary>
    /// Sets the headers that keep content from the network inert on the API's origin, and returns the type to serve
    /// it as. Audio, video and raster images are shown inline under a sandboxing policy that runs no script;
    /// anything else (HTML, SVG, PDF, scripts…) is served as a download of bytes, never rendered.
    /// </summary>
    public static string ServedContentType(HttpContext context, string fileName)
    {
        ArgumentNullException.ThrowIfNull(context);
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
        var type = ContentTypeOf(fileName);
        var inline = IsMedia(type);
        var disposition = new ContentDispositionHeaderValue(inline ? "inline" : "attachment");
        disposition.SetHttpFileName(Path.GetFileName(fileName));
        headers.ContentDisposition = disposition.ToString();
        return inline ? type : "application/octet-stream";
    }

    private static bool IsMedia(string type) =>
        (type.StartsWith("audio/", StringComparison.Ordinal) || type.StartsWith("video/", StringComparison.Ordinal) || type.StartsWith("image/", StringComparison.Ordinal))
        && !type.Contains("svg", StringComparison.Ordinal) && !type.Contains("xml", StringComparison.Ordinal);

    public static async Task PlainAsync(HttpResponse response, int status, string message)
    {
        response.StatusCode = status;
        response.ContentType = "text/plain; charset=utf-8";
        await response.WriteAsync(message + "\n");
    }
}
