using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SmartShare.Node.Http;

namespace SmartShare.Node.Web;

/// <summary>The HTTP endpoints the web UI needs beside JSON-RPC: the live transfer feed, uploads, and share files.</summary>
internal static class WebApi
{
    public static IServiceCollection AddWebApi(this IServiceCollection services)
    {
        services.AddSingleton<TransferFeed>();
        services.AddSingleton<TransferEvents>();
        services.AddSingleton<UploadEndpoint>();
        services.AddSingleton<ShareDownloads>();
        return services;
    }

    public static void MapWebApi(this WebApplication app)
    {
        var events = app.Services.GetRequiredService<TransferEvents>();
        app.MapGet(TransferEvents.Path, events.HandleAsync);
        var upload = app.Services.GetRequiredService<UploadEndpoint>();

        // What a node killed mid-upload or mid-add left: nothing refers to it, and no request runs yet.
        upload.RemoveLeftovers();
        Transfers.IncomingFile.RemoveLeftovers(app.Services.GetRequiredService<Hosting.NodeRuntime>().DataDirectory);
        app.MapPost(UploadEndpoint.Path, upload.HandleAsync);
        var shares = app.Services.GetRequiredService<ShareDownloads>();
        string[] reads = [HttpMethods.Get, HttpMethods.Head];
        app.MapMethods("/smartshare/{hash}", reads, RouteValues.Handler(context => shares.SmartShareAsync(context, RouteValues.Text(context, "hash"))));
        app.MapMethods("/torrent/{hash}", reads, RouteValues.Handler(context => shares.TorrentAsync(context, RouteValues.Text(context, "hash"))));
    }
}
