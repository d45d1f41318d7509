using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SmartShare.Lbry;
using SmartShare.Node.Downloads;
using SmartShare.Node.Hosting;
using SmartShare.Node.Settings;

namespace SmartShare.Node.BlobStorage;

/// <summary>Puts the blob storage limit and plain-file hosting into a node (after the transfer managers).</summary>
internal static class BlobStorageServices
{
    public static IServiceCollection AddBlobStorage(this IServiceCollection services, string dataDirectory)
    {
        var database = HostingDatabase.Open(dataDirectory);
        services.AddSingleton(provider => new BlobUseLog(database, provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton(provider => new PlainStreamTable(database, provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton(provider => new PlainFileStreams(
            provider.GetRequiredService<LbryStorage>(),
            provider.GetRequiredService<FileStore>(),
            provider.GetRequiredService<PlainStreamTable>(),
            provider.GetRequiredService<NodeSettingsStore>(),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILogger<PlainFileStreams>>()));
        services.AddSingleton(provider => new BlobHosting(provider.GetRequiredService<PlainFileStreams>(), provider.GetRequiredService<BlobUseLog>()));
        services.AddSingleton(provider => new BlobEviction(provider.GetRequiredService<LbryStorage>(), database, provider.GetRequiredService<BlobUseLog>()));
        services.AddSingleton<BlobStorageService>();
        services.AddHostedService(provider => provider.GetRequiredService<BlobStorageService>());
        services.AddSingleton<IStatusContributor>(provider => provider.GetRequiredService<BlobStorageService>());
        return services;
    }
}
