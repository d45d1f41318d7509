using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.StaticFiles;

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
        response.ContentType = ContentTypeOf(fileName);
        response.ContentLength = length == 0 ? 0 : range.Length;
        if (partial)
        {
            response.Headers.ContentRange = string.Create(CultureInfo.InvariantCulture, $"bytes {range.First}-{range.Last}/{length}");
        }

        return HttpMethods.IsHead(context.Request.Method) || length == 0 ? null : range;
    }

    public static string ContentTypeOf(string fileName) =>
        ContentTypes.TryGetContentType(fileName, out var type) ? type : "application/octet-stream";

    public static async Task PlainAsync(HttpResponse response, int status, string message)
    {
        response.StatusCode = status;
        response.ContentType = "text/plain; charset=utf-8";
        await response.WriteAsync(message + "\n");
    }
}
