using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SmartShare.Node.Api;
using SmartShare.Node.Downloads;
using SmartShare.Node.Http;
using SmartShare.Node.Networks;
using SmartShare.Node.Settings;
using SmartShare.Node.Web;

namespace SmartShare.Node.Hosting;

/// <summary>The node's HTTP side: the web host's builder, the API's address and port, and the endpoints.</summary>
public sealed partial class NodeHost
{
    // The web host's builder as every node has it (and the prewarm's throwaway one): empty, then Kestrel (HTTP only, no
    // Server header) and routing, no loggers. Not the slim builder: its configuration (appsettings files watched for
    // changes, environment variables, the command line) configures nothing of a node, whose settings are its own, and
    // building and watching it cost every start a file-watching thread and 10-15 ms (twenty alternating one-off `list`
    // runs: median 260 against 275 ms of wall time, 355 against 380 ms of CPU). A node that serves no HTTP (ServeHttp)
    // gets a server that never listens instead of Kestrel.
    private static WebApplicationBuilder NewWebBuilder(bool serveHttp = true)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(NodeHost).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        if (serveHttp)
        {
            builder.WebHost.UseKestrelCore();
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
        }
        else
        {
            builder.Services.AddSingleton<IServer, NoHttpServer>();
        }

        builder.Services.AddRoutingCore();
        builder.Logging.ClearProviders();
        return builder;
    }

    private void MapEndpoints(WebApplication app)
    {
        // Before any endpoint, including those added later by hooks: Host, Origin and password.
        app.Use(ApiConnectionSlots.Requests);
        var guard = app.Services.GetRequiredService<RequestGuard>();
        app.Use(guard.InvokeAsync);
        LoginEndpoint.Map(app);
        var endpoint = app.Services.GetRequiredService<JsonRpcEndpoint>();
        app.MapPost("/", endpoint.HandleAsync);
        app.MapPost("/api", endpoint.HandleAsync);
        app.MapStreamTransfers();
        app.MapWebApi();
        Remote.TransmissionRpc.Map(app);
        Web.WebUi.Map(app);
        foreach (var hook in _endpointHooks)
        {
            hook(app);
        }
    }

    /// <summary>The API's listening address: localhost or an IP literal (beyond loopback only with a password, checked at start).</summary>
    internal static (IPAddress Address, int Port) ApiEndPoint(string api)
    {
        if (!Uri.TryCreate(api, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp)
        {
            throw new NodeSettingsException($"api must be an http URL such as {NodeInfo.DefaultApiUrl}, not '{api}'.");
        }

        if (string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return (IPAddress.Loopback, uri.Port);
        }

        if (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address))
        {
            return (address, uri.Port);
        }

        throw new NodeSettingsException($"api must name an IP address to listen on (such as 127.0.0.1 or 0.0.0.0) or localhost, not '{uri.Host}'.");
    }

    /// <summary>
    /// The API port to bind: as set (failing the start when it is taken), or, when the setting is left at its default and that port is taken (a second
    /// node on this machine), the next free one. A port the user chose is bound as given, so a taken one fails the start.
    /// </summary>
    private static int ApiPortToUse(NodeSettingsStore settings, IPAddress address, int port)
    {
        if (port == 0)
        {
            return port;
        }

        if (!NetworkPorts.IsDefault(settings, NodeSettingKeys.Api))
        {
            // Checked before the networks start, so a taken port fails at once with one sentence (Kestrel's own
            // bind failure below remains for a port taken in between, and logs the host's error too).
            return NetworkPorts.IsTcpPortFree(address, port)
                ? port
                : throw new NodeStartException(
                    $"Cannot listen for the API on {settings.Current.Api}: the port is in use. Is another node running? Choose another address with --api or the 'api' setting.");
        }

        for (var candidate = port; candidate < port + NetworkPorts.FallbackAttempts && candidate <= IPEndPoint.MaxPort; candidate++)
        {
            if (NetworkPorts.IsTcpPortFree(address, candidate))
            {
                return candidate;
            }
        }

        return port;
    }

    // The API's address as callers name it: Kestrel's bound address, or for a node that serves no HTTP the setting's
    // address with port 0, which its in-process handler answers for.
    private static Uri BoundApiUri(WebApplication app, bool serveHttp, IPAddress apiAddress)
    {
        if (!serveHttp)
        {
            return new UriBuilder(Uri.UriSchemeHttp, apiAddress.ToString(), 0).Uri;
        }

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        var first = addresses?.FirstOrDefault() ?? throw new InvalidOperationException("Kestrel reported no address.");
        return new Uri(first);
    }
}
