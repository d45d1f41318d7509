using Microsoft.Extensions.DependencyInjection;
using SmartShare.Node.Api;
using SmartShare.Node.Hosting;
using SmartShare.Node.Transfers;

namespace SmartShare.Node.Limits;

/// <summary>Puts the speed limits into a node: the per-transfer store, the limiters, the status section and the API method.</summary>
public static class LimitServices
{
    public static IServiceCollection AddBandwidthLimits(this IServiceCollection services, string dataDirectory)
    {
        services.AddSingleton(TransferLimitStore.Open(dataDirectory));
        services.AddSingleton<BandwidthLimits>();
        services.AddSingleton<IStatusContributor>(provider => provider.GetRequiredService<BandwidthLimits>());
        services.AddSingleton<ITransferRemovalListener>(provider => provider.GetRequiredService<BandwidthLimits>());
        services.AddSingleton<IRpcMethodProvider, LimitRpcMethods>();
        return services;
    }
}
