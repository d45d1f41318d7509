using Microsoft.Extensions.DependencyInjection;

namespace SmartShare.Node.Reachability;

/// <summary>Registers what makes the node reachable from outside its LAN: port mappings and the external address.</summary>
public static class ReachabilityServices
{
    public static IServiceCollection AddReachability(this IServiceCollection services)
    {
        services.AddSingleton<IPortMappings, NoPortMappings>();
        services.AddExternalAddressVote();
        return services;
    }

    private sealed class NoPortMappings : IPortMappings
    {
        public IReadOnlyList<PortMapping> Current => [];
    }
}
