using Microsoft.Extensions.DependencyInjection;
using SmartShare.Node.Hosting;

namespace SmartShare.Node.LocalDiscovery;

/// <summary>Registers local peer discovery (BEP 14 and its LBRY equivalent), its start and stop, and its status section.</summary>
public static class LocalDiscoveryServices
{
    public static IServiceCollection AddLocalDiscovery(this IServiceCollection services)
    {
        services.AddSingleton<LbryLanDiscovery>();
        services.AddSingleton<LocalPeerDiscovery>();
        services.AddHostedService(provider => provider.GetRequiredService<LocalPeerDiscovery>());
        services.AddSingleton<IStatusContributor>(provider => provider.GetRequiredService<LocalPeerDiscovery>());
        return services;
    }
}
