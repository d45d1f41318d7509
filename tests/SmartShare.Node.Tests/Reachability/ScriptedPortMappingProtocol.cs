using System.Collections.Concurrent;
using System.Net;
using SmartShare.Node.Reachability;

namespace SmartShare.Node.Tests.Reachability;

/// <summary>A port-mapping protocol whose router the test scripts: present or not, refusing or granting, restarting; it records every call with the fake time it came at.</summary>
internal sealed class ScriptedPortMappingProtocol(string name, TimeProvider time, ConcurrentQueue<string>? journal = null) : IPortMappingProtocol
{
    public static readonly IPAddress External = IPAddress.Parse("11.77.1.1");

    public string Name => name;

    public event Action? GatewayRestarted;

    /// <summary>Whether a router answers this protocol.</summary>
    public bool Present { get; set; } = true;

    /// <summary>A sentence the router refuses mappings with, or null to grant them.</summary>
    public string? Refusal { get; set; }

    /// <summary>The lease the router grants, whatever was asked.</summary>
    public TimeSpan? GrantedLease { get; set; }

    public ConcurrentQueue<(string Call, string Protocol, int Port, DateTimeOffset At)> Calls { get; } = new();

    public int Count(string call) => Calls.Count(c => c.Call == call);

    public void Restart() => GatewayRestarted?.Invoke();

    public Task<bool> DiscoverAsync(CancellationToken cancellationToken)
    {
        Record("discover", string.Empty, 0);
        return Task.FromResult(Present);
    }

    public Task<IPAddress> GetExternalAddressAsync(CancellationToken cancellationToken) =>
        Present ? Task.FromResult(External) : throw new PortMappingException($"No {name} router.");

    public Task<PortMapping> MapAsync(string protocol, int internalPort, int preferredExternalPort, TimeSpan lease, CancellationToken cancellationToken)
    {
        Record("map", protocol, internalPort);
        if (!Present || Refusal is not null)
        {
            throw new PortMappingException(Refusal ?? $"No {name} router.");
        }

        return Task.FromResult(new PortMapping(protocol, internalPort, new IPEndPoint(External, preferredExternalPort), name, time.GetUtcNow() + (GrantedLease ?? lease)));
    }

    public Task UnmapAsync(PortMapping mapping, CancellationToken cancellationToken)
    {
        Record("unmap", mapping.Protocol, mapping.InternalPort);
        return Task.CompletedTask;
    }

    private void Record(string call, string protocol, int port)
    {
        Calls.Enqueue((call, protocol, port, time.GetUtcNow()));
        journal?.Enqueue($"{name} {call}");
    }
}
