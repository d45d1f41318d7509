using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SmartShare.Node.Api;
using SmartShare.Node.Hosting;
using SmartShare.Node.Streaming;
using SmartShare.Node.Transfers.Queueing;

namespace SmartShare.Node.Downloads;

/// <summary>Puts the transfers (stream downloads, torrent sessions, the transfer model), their API methods and the streaming endpoint into a node; the networks below them come from <see cref="Networks.NetworkServices"/>.</summary>
public static class DownloadServices
{
    public static IServiceCollection AddStreamTransfers(this IServiceCollection services, string dataDirectory)
    {
        // One open of the node's transfers table (and its migration) for both networks' stores.
        var transfers = Transfers.TransferDatabase.Open(dataDirectory);
        services.AddSingleton(new FileStore(transfers));
        services.AddSingleton(new Transfers.UploadLedger(transfers));
        services.AddSingleton<DownloadManager>();
        services.AddHostedService(provider => provider.GetRequiredService<DownloadManager>());
        services.AddSingleton(new Torrents.TorrentStore(transfers));
        services.AddSingleton<Torrents.TorrentManager>();
        services.AddHostedService(provider => provider.GetRequiredService<Torrents.TorrentManager>());
        services.AddSingleton<IStatusContributor>(provider => provider.GetRequiredService<Torrents.TorrentManager>());
        services.AddSingleton<Transfers.ITransferNetwork, Transfers.StreamTransfers>();
        services.AddSingleton<Transfers.ITransferNetwork, Transfers.TorrentTransfers>();
        services.AddSingleton<Transfers.TransferManager>();

        // After the managers: hosted services stop in reverse order, so the last flush still sees every torrent session.
        services.AddHostedService<Transfers.UploadFlusher>();
        services.AddHostedService<Transfers.DiskFullResumer>();
        BlobStorage.BlobStorageServices.AddBlobStorage(services, dataDirectory);
        services.AddTransferQueue(dataDirectory);
        services.AddSingleton<IRpcMethodProvider, FileRpcMethods>();
        services.AddSingleton<IRpcMethodProvider, Torrents.FileSelectionRpcMethods>();
        return services;
    }

    public static IEndpointRouteBuilder MapStreamTransfers(this IEndpointRouteBuilder endpoints)
    {
        StreamEndpoint.Map(endpoints);
        return endpoints;
    }
}
