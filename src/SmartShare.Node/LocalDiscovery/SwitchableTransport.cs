namespace SmartShare.Node.LocalDiscovery;

/// <summary>Sends through the channel once it is open; nothing before start, after stop, or with local discovery off.</summary>
internal sealed class SwitchableTransport : ILanTransport
{
    private volatile ILanTransport? _inner;

    public ILanTransport? Inner
    {
        get => _inner;
        set => _inner = value;
    }

    public int Send(IReadOnlyList<byte[]> ipv4, IReadOnlyList<byte[]> ipv6) => _inner?.Send(ipv4, ipv6) ?? 0;
}
