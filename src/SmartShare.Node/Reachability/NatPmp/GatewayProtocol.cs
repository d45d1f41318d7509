using System.Net;

namespace SmartShare.Node.Reachability.NatPmp;

/// <summary>
/// What PCP and NAT-PMP share: one exchange with the default gateway on UDP 5351, the gateway's epoch, the external
/// address last learned, and <see cref="GatewayRestarted"/>, raised by the gateway's ANNOUNCE or by an epoch that
/// shows it lost its state (the external address is then asked again).
/// </summary>
public abstract class GatewayProtocol : IPortMappingProtocol, IGatewayAddress, IDisposable
{
    private readonly EpochTracker _epoch = new();

    private protected GatewayProtocol(NatPmpOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        Exchange = new GatewayExchange(options, time);
        Time = time;
        Exchange.Announced += ForgetGateway;
    }

    public abstract string Name { get; }

    public event Action? GatewayRestarted;

    /// <summary>The gateway asked (after discovery).</summary>
    public IPAddress? Gateway => Exchange.Gateway;

    private protected GatewayExchange Exchange { get; }

    private protected TimeProvider Time { get; }

    /// <summary>The gateway's external address as last answered; null until then and after a restart.</summary>
    private protected IPAddress? ExternalAddress { get; set; }

    public abstract Task<bool> DiscoverAsync(CancellationToken cancellationToken);

    public abstract Task<IPAddress> GetExternalAddressAsync(CancellationToken cancellationToken);

    public abstract Task<PortMapping> MapAsync(string protocol, int internalPort, int preferredExternalPort, TimeSpan lease, CancellationToken cancellationToken);

    public abstract Task UnmapAsync(PortMapping mapping, CancellationToken cancellationToken);

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            Exchange.Dispose();
        }
    }

    /// <summary>Notes the epoch of an accepted answer; one showing the gateway lost its state restarts everything.</summary>
    private protected void ObserveEpoch(uint epoch)
    {
        if (_epoch.Observe(epoch, Time.GetUtcNow()))
        {
            ForgetGateway();
        }
    }

    private void ForgetGateway()
    {
        ExternalAddress = null;
        GatewayRestarted?.Invoke();
    }
}
