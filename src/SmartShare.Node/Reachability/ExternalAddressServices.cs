using Microsoft.Extensions.DependencyInjection;
using SmartShare.Node.Hosting;

namespace SmartShare.Node.Reachability;

/// <summary>Registers the external-address vote as the node's <see cref="IExternalAddressSink"/> and its <c>status</c> section.</summary>
public static class ExternalAddressServices
{
    public static IServiceCollection AddExternalAddressVote(this IServiceCollection services)
    {
        services.AddSingleton<ExternalAddressVote>();
        services.AddSingleton<IExternalAddressSink>(provider => provider.GetRequiredService<ExternalAddressVote>());
        services.AddSingleton<IStatusContributor>(provider => provider.GetRequiredService<ExternalAddressVote>());
        services.AddSingleton<ShareContacts>();
        return services;
    }
}
