using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using SmartShare.Node.Hosting;
using SmartShare.Node.Reachability.NatPmp;

namespace SmartShare.Node.Reachability;

/// <summary>Registers the port-mapping service and its PCP and NAT-PMP clients.</summary>
public static class PortMappingServices
{
    /// <summary>
    /// PCP and NAT-PMP as <see cref="IPortMappingProtocol"/>s, and <see cref="PortMappingService"/> as
    /// <see cref="IPortMappings"/>, the <c>port_mapping</c> status section and a hosted service. Another protocol
    /// (UPnP IGD) is added with <c>services.AddSingleton&lt;IPortMappingProtocol, ...&gt;()</c>: the service tries
    /// pcp, then nat-pmp, then the others in registration order. A <see cref="NatPmpOptions"/> registered before
    /// this one (a test's gateway) is kept.
    /// </summary>
    public static IServiceCollection AddPortMapping(this IServiceCollection services)
    {
        services.TryAddSingleton(new NatPmpOptions());
        services.AddSingleton<IPortMappingProtocol>(provider => new PcpProtocol(provider.GetRequiredService<NatPmpOptions>(), provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IPortMappingProtocol>(provider => new NatPmpProtocol(provider.GetRequiredService<NatPmpOptions>(), provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton<PortMappingService>();
        services.AddSingleton<IPortMappings>(provider => provider.GetRequiredService<PortMappingService>());
        services.AddSingleton<IStatusContributor>(provider => provider.GetRequiredService<PortMappingService>());
        services.AddSingleton<IHostedService>(provider => provider.GetRequiredService<PortMappingService>());
        return services;
    }
}
