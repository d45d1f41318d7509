using Microsoft.Extensions.DependencyInjection;
using SmartShare.Node.Reachability.Upnp;

namespace SmartShare.Node.Reachability;

/// <summary>Registers what makes the node reachable from outside its LAN: port mappings and the external address.</summary>
public static class ReachabilityServices
{
    public static IServiceCollection AddReachability(this IServiceCollection services)
    {
        services.AddPortMapping();
        services.AddExternalAddressVote();
        services.AddSingleton<IPortMappingProtocol, UpnpPortMapping>();
        return services;
    }
}
