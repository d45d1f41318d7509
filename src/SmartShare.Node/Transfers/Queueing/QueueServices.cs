using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SmartShare.Node.Api;
using SmartShare.Node.Hosting;
using SmartShare.Node.Settings;

namespace SmartShare.Node.Transfers.Queueing;

/// <summary>Puts the queue (its table, its timer, its API methods) into a node, after the transfer managers.</summary>
public static class QueueServices
{
    public static IServiceCollection AddTransferQueue(this IServiceCollection services, string dataDirectory)
    {
        var schedule = TransferSchedule.Open(dataDirectory);
        services.AddSingleton(provider => new TransferScheduler(
            schedule,
            () => provider.GetRequiredService<NodeSettingsStore>().Current,
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILogger<TransferScheduler>>(),
            runs: !provider.GetRequiredService<NodeRuntime>().Transient));

        // The manager attaches itself to the queue when it is made; the queue's timer starts after the managers resumed.
        services.AddHostedService(provider =>
        {
            _ = provider.GetRequiredService<TransferManager>();
            return provider.GetRequiredService<TransferScheduler>();
        });
        services.AddSingleton<IRpcMethodProvider, QueueRpcMethods>();
        services.AddSingleton<IStatusContributor, QueueStatus>();
        services.AddSingleton(provider => new WatchFolder(
            provider.GetRequiredService<TransferManager>(),
            () => provider.GetRequiredService<NodeSettingsStore>().Current,
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILogger<WatchFolder>>(),
            runs: !provider.GetRequiredService<NodeRuntime>().Transient));
        services.AddHostedService(provider => provider.GetRequiredService<WatchFolder>());
        return services;
    }
}
