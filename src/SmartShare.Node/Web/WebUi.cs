using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;
using SmartShare.Node.Http;

namespace SmartShare.Node.Web;

/// <summary>
/// The node's web UI: the files under <c>Web/ui/</c>, embedded in this assembly (logical names <c>webui/…</c>), served
/// at <c>GET|HEAD /</c> (index.html) and <c>/ui/{path}</c>, each with its content type, an ETag computed once, and
/// <c>Cache-Control: no-cache</c> (the browser revalidates, so a new node version is picked up at once). Every answer
/// carries a Content-Security-Policy that allows only the node's own scripts and styles: no inline script, no other
/// origin, no framing. Paths that are not one of the embedded files are 404.
/// </summary>
public static class WebUi
{
    /// <summary>The policy every UI file is served under.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' blob:; " +
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private const string Prefix = "webui/";

    private static readonly Lazy<FrozenDictionary<string, UiFile>> Files = new(Load);

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapMethods("/", ["GET", "HEAD"], RouteValues.Handler(context => ServeAsync(context, "index.html")));
        endpoints.MapMethods("/ui/{**path}", ["GET", "HEAD"], RouteValues.Handler(context => ServeAsync(context, context.GetRouteValue("path") as string ?? string.Empty)));
    }

    /// <summary>Whether the request reads one of the UI's files (GET or HEAD of <c>/</c> or under <c>/ui/</c>), which need no password.</summary>
    public static bool IsPublicFile(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
            && (request.Path == "/" || request.Path.StartsWithSegments("/ui", StringComparison.Ordinal));
    }

    private static async Task ServeAsync(HttpContext context, string path)
    {
        var response = context.Response;
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        if (!Files.Value.TryGetValue(path, out var file))
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            response.ContentType = "text/plain; charset=utf-8";
            await response.WriteAsync($"The web UI has no file '{Sentences.Shorten(path)}'.", context.RequestAborted);
            return;
        }

        response.Headers.CacheControl = "no-cache";
        response.Headers.ETag = file.ETag;
        response.ContentType = file.ContentType;
        var ifNoneMatch = context.Request.Headers[HeaderNames.IfNoneMatch].ToString();
        if (ifNoneMatch.Length > 0 && ifNoneMatch.Split(',').Any(tag => tag.Trim() == file.ETag || tag.Trim() == "*"))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        response.ContentLength = file.Content.Length;
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }

        await response.Body.WriteAsync(file.Content, context.RequestAborted);
    }

    private static FrozenDictionary<string, UiFile> Load()
    {
        var assembly = typeof(WebUi).Assembly;
        var files = new Dictionary<string, UiFile>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames())
        {
            var normalized = name.Replace('\\', '/');
            if (!normalized.StartsWith(Prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var path = normalized[Prefix.Length..];
            var content = Read(assembly, name);
            var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(content))[..32] + "\"";
            files[path] = new UiFile(content, ContentTypeOf(path), etag);
        }

        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static byte[] Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static string ContentTypeOf(string path) => Path.GetExtension(path).ToUpperInvariant() switch
    {
        ".HTML" => "text/html; charset=utf-8",
        ".JS" or ".MJS" => "text/javascript; charset=utf-8",
        ".CSS" => "text/css; charset=utf-8",
        ".SVG" => "image/svg+xml",
        ".PNG" => "image/png",
        ".ICO" => "image/x-icon",
        ".JSON" => "application/json; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    };

    private sealed record UiFile(byte[] Content, string ContentType, string ETag);
}
