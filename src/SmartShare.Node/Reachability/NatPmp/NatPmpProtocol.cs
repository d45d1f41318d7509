using System.Net;

namespace SmartShare.Node.Reachability.NatPmp;

/// <summary>
/// NAT-PMP (RFC 6886): asks the default gateway on UDP 5351 for its external address and for port mappings.
/// A mapping answer's epoch that shows the gateway lost its state raises <see cref="GatewayRestarted"/>.
/// </summary>
public sealed class NatPmpProtocol : GatewayProtocol
{

    public NatPmpProtocol(NatPmpOptions options, TimeProvider time)
        : base(options, time)
    {
    }

    public override string Name => "nat-pmp";

    public override async Task<bool> DiscoverAsync(CancellationToken cancellationToken)
    {
        var answer = await AskExternalAddressAsync(cancellationToken);
        return answer is not null && answer.ResultCode != 1;
    }

    public override async Task<IPAddress> GetExternalAddressAsync(CancellationToken cancellationToken)
    {
        var answer = await AskExternalAddressAsync(cancellationToken)
            ?? throw new PortMappingException($"The gateway {Gateway?.ToString() ?? "(none found)"} gave no NAT-PMP answer.");
        if (answer.ResultCode != 0 || answer.ExternalAddress is null)
        {
            throw new PortMappingException($"No external address: {NatPmpCodec.Describe(answer.ResultCode)}.", answer.ResultCode);
        }

        return answer.ExternalAddress;
    }

    public override async Task<PortMapping> MapAsync(string protocol, int internalPort, int preferredExternalPort, TimeSpan lease, CancellationToken cancellationToken)
    {
        var lifetime = (uint)Math.Clamp(lease.TotalSeconds, 1, uint.MaxValue);
        var answer = await AskMappingAsync(protocol, internalPort, preferredExternalPort, lifetime, cancellationToken);
        if (answer.ResultCode != 0)
        {
            throw new PortMappingException($"NAT-PMP could not map {protocol} port {internalPort}: {NatPmpCodec.Describe(answer.ResultCode)}.", answer.ResultCode);
        }

        if (answer.Lifetime == 0 || answer.ExternalPort == 0)
        {
            throw new PortMappingException($"The gateway answered NAT-PMP's request for {protocol} port {internalPort} with no mapping.");
        }

        var external = ExternalAddress ?? await GetExternalAddressAsync(cancellationToken);
        return new PortMapping(protocol, internalPort, new IPEndPoint(external, answer.ExternalPort), Name, Time.GetUtcNow().AddSeconds(answer.Lifetime));
    }

    public override async Task UnmapAsync(PortMapping mapping, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        var answer = await AskMappingAsync(mapping.Protocol, mapping.InternalPort, 0, 0, cancellationToken);
        if (answer.ResultCode != 0)
        {
            throw new PortMappingException($"NAT-PMP could not delete the mapping of {mapping.Protocol} port {mapping.InternalPort}: {NatPmpCodec.Describe(answer.ResultCode)}.", answer.ResultCode);
        }
    }

    private async Task<NatPmpResponse?> AskExternalAddressAsync(CancellationToken cancellationToken)
    {
        var answer = await Exchange.RequestAsync(
            _ => NatPmpCodec.ExternalAddressRequest(),
            bytes => Accept(bytes, response => response.Opcode == NatPmpCodec.ExternalAddressOpcode),
            cancellationToken);
        if (answer is { ResultCode: 0, ExternalAddress: { } address })
        {
            ExternalAddress = address;
        }

        return answer;
    }

    private async Task<NatPmpResponse> AskMappingAsync(string protocol, int internalPort, int externalPort, uint lifetime, CancellationToken cancellationToken)
    {
        var opcode = NatPmpCodec.OpcodeFor(protocol);
        return await Exchange.RequestAsync(
                _ => NatPmpCodec.MappingRequest(protocol, checked((ushort)internalPort), checked((ushort)externalPort), lifetime),
                bytes => Accept(bytes, response => response.Opcode == opcode && (response.ResultCode != 0 || response.InternalPort == internalPort)),
                cancellationToken)
            ?? throw new PortMappingException($"The gateway {Gateway?.ToString() ?? "(none found)"} gave no NAT-PMP answer.");
    }

    private NatPmpResponse? Accept(byte[] bytes, Func<NatPmpResponse, bool> answers)
    {
        NatPmpResponse response;
        try
        {
            response = NatPmpCodec.Decode(bytes);
        }
        catch (NatPmpFormatException)
        {
            return null;
        }

        if (!answers(response))
        {
            return null;
        }

        ObserveEpoch(response.Epoch);

        return response;
    }
}
