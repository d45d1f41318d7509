using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace SmartShare.Node.Http;

/// <summary>
/// Endpoints as plain <see cref="RequestDelegate"/>s that read their route values themselves. A handler with typed
/// parameters (<c>(HttpContext c, string hash) =&gt; …</c>) goes through ASP.NET's RequestDelegateFactory, which
/// builds and compiles an expression tree per endpoint when the first request builds the route table: about 40
/// dynamic methods for the JIT in every node's first API call (a one-off node's first answer, a first click).
/// </summary>
internal static class RouteValues
{
    /// <summary>The handler as a <see cref="RequestDelegate"/>, so the mapping takes the overload that compiles nothing.</summary>
    public static RequestDelegate Handler(RequestDelegate handler) => handler;

    /// <summary>A route value the pattern always binds (such as <c>{hash}</c>).</summary>
    public static string Text(HttpContext context, string name) =>
        context.GetRouteValue(name) as string ?? throw new InvalidOperationException($"The route has no '{name}' value.");

    /// <summary>A route value under an <c>:int</c> constraint, which has already checked that it parses.</summary>
    public static int Int(HttpContext context, string name) =>
        int.Parse(Text(context, name), NumberStyles.Integer, CultureInfo.InvariantCulture);
}
