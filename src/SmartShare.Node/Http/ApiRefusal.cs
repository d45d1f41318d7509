using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace SmartShare.Node.Http;

/// <summary>How the HTTP layer says no: a status and a JSON body in the API's error shape, so every client can read it.</summary>
internal static class ApiRefusal
{
    /// <summary>JSON-RPC's server-defined code for "not allowed" (lbrynet has none; -32001 is the first free one).</summary>
    public const int NotAllowedCode = -32001;

    public static Task WriteAsync(HttpContext context, int status, string message, TimeSpan? retryAfter = null)
    {
        var response = context.Response;
        response.StatusCode = status;
        if (retryAfter is { } wait)
        {
            response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        response.ContentType = "application/json; charset=utf-8";
        var body = new JsonObject { ["error"] = new JsonObject { ["code"] = NotAllowedCode, ["message"] = message } };
        return response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }
}
