using Microsoft.Extensions.DependencyInjection;
using SmartShare.Lbry.Dht;
using SmartShare.Node.Downloads;
using SmartShare.Node.Hosting;
using SmartShare.Node.LocalDiscovery;

namespace SmartShare.Node.Networks;

/// <summary>Registers the node's networks, in the order the host starts them (LBRY, then BitTorrent), and what each exposes.</summary>
public static class NetworkServices
{
    public static IServiceCollection AddNetworks(this IServiceCollection services)
    {
        services.AddSingleton<LbryNetwork>();
        services.AddSingleton<INetworkService>(provider => provider.GetRequiredService<LbryNetwork>());

        // These exist once the LBRY network has started: the host starts the networks before it resolves anything else.
        services.AddSingleton<LbryDhtService>(provider => provider.GetRequiredService<LbryNetwork>().Dht);
        services.AddSingleton(provider => provider.GetRequiredService<LbryNetwork>().Membership);
        services.AddSingleton(provider => provider.GetRequiredService<LbryNetwork>().Announcer);
        services.AddSingleton(provider => provider.GetRequiredService<LbryNetwork>().BlobServer);
        services.AddSingleton<IStatusContributor>(provider => provider.GetRequiredService<BlobServerHost>());

        services.AddSingleton<BitTorrentNetwork>();
        services.AddSingleton<INetworkService>(provider => provider.GetRequiredService<BitTorrentNetwork>());
        services.AddLocalDiscovery();
        return services;
    }
}
