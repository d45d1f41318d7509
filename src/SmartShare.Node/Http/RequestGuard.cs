using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace SmartShare.Node.Http;

/// <summary>
/// The gate every HTTP request passes first, whatever its endpoint: the <c>Host</c> must be one of the node's
/// names (<see cref="ApiHostNames"/>); a request from another web site (a foreign <c>Origin</c>, or
/// <c>Sec-Fetch-Site</c> cross-site) may change nothing and may only be a top-level navigation; and when a
/// password is set, the request must authenticate (<see cref="ApiAccess"/>).
/// </summary>
internal sealed class RequestGuard(ApiAccess access)
{
    /// <summary>Set on a request that came from another web site (a link followed): it may read, never start anything.</summary>
    public const string CrossSiteItem = "smartshare.cross-site";

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";

        var host = request.Host.Host;
        if (!access.Hosts.IsAllowed(host))
        {
            await ApiRefusal.WriteAsync(
                context,
                StatusCodes.Status403Forbidden,
                string.IsNullOrEmpty(host)
                    ? "The request has no Host header; this node answers only requests that name it."
                    : $"This node does not answer to the name '{Sentences.Shorten(host)}'. It answers to localhost, its loopback and own addresses, and the names in its api_hosts setting; add the name there if it is yours.");
            return;
        }

        if (ForeignSite(request) is { } foreign)
        {
            var isRead = HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method);
            var isNavigation = request.Headers["Sec-Fetch-Mode"] == "navigate" && !request.Headers.ContainsKey(HeaderNames.Origin);
            if (!isRead || !isNavigation)
            {
                await ApiRefusal.WriteAsync(
                    context,
                    StatusCodes.Status403Forbidden,
                    $"Refused a {request.Method} request from another web site ({foreign}): web pages may not drive this node. Use the node's own address, the CLI, or a script without an Origin header.");
                return;
            }

            context.Items[CrossSiteItem] = true;
        }

        // The web UI's own files hold no data of the node: they load without the password, then ask for it (POST /login).
        if (access.PasswordRequired && !IsLogin(request) && !Web.WebUi.IsPublicFile(request) && !await AuthenticatedAsync(context))
        {
            return;
        }

        await next(context);
    }

    /// <summary>Whether the request came from another site, and which: null when same-origin or not from a browser page.</summary>
    private static string? ForeignSite(HttpRequest request)
    {
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site is "cross-site" or "same-site")
        {
            return $"Sec-Fetch-Site: {site}";
        }

        if (!request.Headers.TryGetValue(HeaderNames.Origin, out var origins))
        {
            return null;
        }

        var origin = origins.ToString();
        var same = Uri.TryCreate(origin, UriKind.Absolute, out var uri)
            && uri.Scheme == Uri.UriSchemeHttp
            && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase)
            && uri.AbsolutePath == "/";
        return same ? null : $"Origin: {Sentences.Shorten(origin)}";
    }

    private static bool IsLogin(HttpRequest request) =>
        HttpMethods.IsPost(request.Method) && (request.Path == LoginEndpoint.LoginPath || request.Path == LoginEndpoint.LogoutPath);

    private async Task<bool> AuthenticatedAsync(HttpContext context)
    {
        var request = context.Request;
        if (access.IsValidToken(request.Cookies[ApiAccess.SessionCookieName]))
        {
            return true;
        }

        if (StreamHash(request) is { } hash && access.IsValidStreamToken(hash, request.Query["token"]))
        {
            return true;
        }

        var client = context.Connection.RemoteIpAddress ?? IPAddress.None;
        if (AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var authorization))
        {
            if (string.Equals(authorization.Scheme, "Bearer", StringComparison.OrdinalIgnoreCase) && access.IsValidToken(authorization.Parameter))
            {
                return true;
            }

            if (string.Equals(authorization.Scheme, "Basic", StringComparison.OrdinalIgnoreCase) && BasicPassword(authorization.Parameter) is { } password)
            {
                var check = access.CheckPassword(client, password);
                if (check.IsRight)
                {
                    return true;
                }

                await RefuseAsync(context, check, "The password is wrong.");
                return false;
            }
        }

        var wait = access.Throttle.RetryAfter(client);
        await RefuseAsync(
            context,
            wait > TimeSpan.Zero ? PasswordCheck.Throttled(wait) : PasswordCheck.Wrong,
            "This node's API needs its password: log in (POST /login with {\"password\"}), send it as HTTP Basic (curl -u :PASSWORD), or set SMARTSHARE_API_PASSWORD for the smartshare command.");
        return false;
    }

    internal static Task RefuseAsync(HttpContext context, PasswordCheck check, string message)
    {
        if (check.IsThrottled)
        {
            return ApiRefusal.WriteAsync(
                context,
                StatusCodes.Status429TooManyRequests,
                $"Too many wrong passwords from {context.Connection.RemoteIpAddress}; try again in {Math.Ceiling(check.RetryAfter.TotalSeconds):0} s.",
                check.RetryAfter);
        }

        // transmission-remote (libcurl, CURLAUTH_ANY) sends its -n credentials only after a challenge naming Basic;
        // elsewhere none is named, so a browser never opens its password dialog for the API.
        context.Response.Headers.WWWAuthenticate = context.Request.Path.StartsWithSegments(Remote.TransmissionRpc.Path)
            ? new Microsoft.Extensions.Primitives.StringValues(["Bearer realm=\"smartshare\"", "Basic realm=\"smartshare\""])
            : new Microsoft.Extensions.Primitives.StringValues("Bearer realm=\"smartshare\"");
        return ApiRefusal.WriteAsync(context, StatusCodes.Status401Unauthorized, message);
    }

    /// <summary>The hash a <c>/stream/HASH[/INDEX]</c> GET or HEAD names, or null for other requests.</summary>
    private static string? StreamHash(HttpRequest request)
    {
        if (!(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
            || !request.Path.StartsWithSegments("/stream", StringComparison.Ordinal, out var rest))
        {
            return null;
        }

        var segments = rest.Value?.Split('/', StringSplitOptions.RemoveEmptyEntries) ?? [];
        return segments.Length is 1 or 2 ? segments[0] : null;
    }

    private static string? BasicPassword(string? parameter)
    {
        if (string.IsNullOrEmpty(parameter) || parameter.Length > 4096)
        {
            return null;
        }

        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(parameter));
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            return colon < 0 ? null : text[(colon + 1)..];
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
