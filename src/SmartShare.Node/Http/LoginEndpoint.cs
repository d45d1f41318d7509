using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace SmartShare.Node.Http;

/// <summary>
/// <c>POST /login</c> with <c>{"password"}</c> opens a session: an HttpOnly, SameSite=Strict cookie for browsers,
/// and the same token in the answer for scripts (<c>Authorization: Bearer</c>). Wrong passwords are throttled per
/// address. <c>POST /logout</c> ends the session.
/// </summary>
internal static class LoginEndpoint
{
    public const string LoginPath = "/login";
    public const string LogoutPath = "/logout";

    private const int MaxBodyBytes = 4096;

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost(LoginPath, RouteValues.Handler(context => LoginAsync(context, Access(context))));
        endpoints.MapPost(LogoutPath, RouteValues.Handler(context => LogoutAsync(context, Access(context))));
    }

    private static ApiAccess Access(HttpContext context) => context.RequestServices.GetRequiredService<ApiAccess>();

    private static async Task LoginAsync(HttpContext context, ApiAccess access)
    {
        if (await JsonBody.ReadAsync(context, MaxBodyBytes) is not { } body)
        {
            return;
        }

        if (body["password"] is not JsonValue value || !value.TryGetValue<string>(out var password))
        {
            await ApiRefusal.WriteAsync(context, StatusCodes.Status400BadRequest, "Send {\"password\": \"...\"}.");
            return;
        }

        if (!access.PasswordRequired)
        {
            await WriteAsync(context, new JsonObject { ["token"] = null, ["message"] = "This node has no API password; no login is needed." });
            return;
        }

        var check = access.CheckPassword(context.Connection.RemoteIpAddress ?? IPAddress.None, password);
        if (!check.IsRight)
        {
            await RequestGuard.RefuseAsync(context, check, "The password is wrong.");
            return;
        }

        var token = access.StartSession();
        context.Response.Cookies.Append(ApiAccess.SessionCookieName, token, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Path = "/",
            IsEssential = true,
            MaxAge = ApiAccess.SessionIdleLimit,
        });
        await WriteAsync(context, new JsonObject
        {
            ["token"] = token,
            ["idle_limit_seconds"] = (long)ApiAccess.SessionIdleLimit.TotalSeconds,
        });
    }

    private static async Task LogoutAsync(HttpContext context, ApiAccess access)
    {
        access.EndSession(context.Request.Cookies[ApiAccess.SessionCookieName]);
        if (AuthenticationHeaderValue.TryParse(context.Request.Headers.Authorization, out var authorization)
            && string.Equals(authorization.Scheme, "Bearer", StringComparison.OrdinalIgnoreCase))
        {
            access.EndSession(authorization.Parameter);
        }

        context.Response.Cookies.Delete(ApiAccess.SessionCookieName, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/" });
        await WriteAsync(context, new JsonObject { ["message"] = "Logged out." });
    }

    private static async Task WriteAsync(HttpContext context, JsonObject body)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }
}
