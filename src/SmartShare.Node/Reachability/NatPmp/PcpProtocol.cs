using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;

namespace SmartShare.Node.Reachability.NatPmp;

/// <summary>
/// PCP (RFC 6887): MAP requests to the default gateway on UDP 5351, each mapping with its own nonce (kept to renew
/// and delete it). A gateway that answers in NAT-PMP's version 0, or with UNSUPP_VERSION, or not at all, is not
/// discovered, so the port-mapping service falls back to NAT-PMP. The external address comes with each MAP answer.
/// </summary>
public sealed class PcpProtocol : GatewayProtocol
{
    private readonly ConcurrentDictionary<(string Protocol, int Port), byte[]> _nonces = new();

    public PcpProtocol(NatPmpOptions options, TimeProvider time)
        : base(options, time)
    {
    }

    public override string Name => "pcp";

    public override async Task<bool> DiscoverAsync(CancellationToken cancellationToken)
    {
        var answer = await Exchange.RequestAsync(
            PcpCodec.AnnounceRequest,
            bytes => Accept(bytes, response => response.Opcode == PcpCodec.AnnounceOpcode),
            cancellationToken);
        return answer is { Version: PcpCodec.Version } && answer.ResultCode != PcpCodec.UnsupportedVersion;
    }

    /// <summary>The external address of the last MAP answer: PCP has no request for it alone.</summary>
    public override Task<IPAddress> GetExternalAddressAsync(CancellationToken cancellationToken) =>
        ExternalAddress is { } address
            ? Task.FromResult(address)
            : throw new PortMappingException("PCP tells the external address only with a mapping, and none is made yet.");

    public override async Task<PortMapping> MapAsync(string protocol, int internalPort, int preferredExternalPort, TimeSpan lease, CancellationToken cancellationToken)
    {
        var lifetime = (uint)Math.Clamp(lease.TotalSeconds, 1, uint.MaxValue);
        var nonce = _nonces.GetOrAdd((protocol, internalPort), _ => RandomNumberGenerator.GetBytes(PcpCodec.NonceLength));
        var answer = await AskMapAsync(nonce, protocol, internalPort, preferredExternalPort, lifetime, ExternalAddress, cancellationToken);
        if (answer.ResultCode != 0)
        {
            throw new PortMappingException($"PCP could not map {protocol} port {internalPort}: {PcpCodec.Describe(answer.ResultCode)}.", answer.ResultCode);
        }

        var map = answer.Map!;
        if (answer.Lifetime == 0 || map.ExternalPort == 0)
        {
            throw new PortMappingException($"The gateway answered PCP's request for {protocol} port {internalPort} with no mapping.");
        }

        ExternalAddress = map.ExternalAddress;
        return new PortMapping(protocol, internalPort, new IPEndPoint(map.ExternalAddress, map.ExternalPort), Name, Time.GetUtcNow().AddSeconds(answer.Lifetime));
    }

    public override async Task UnmapAsync(PortMapping mapping, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        if (!_nonces.TryGetValue((mapping.Protocol, mapping.InternalPort), out var nonce))
        {
            throw new PortMappingException($"PCP deletes only mappings this node made, and {mapping.Protocol} port {mapping.InternalPort} is not one.");
        }

        var answer = await AskMapAsync(nonce, mapping.Protocol, mapping.InternalPort, mapping.External.Port, 0, mapping.External.Address, cancellationToken);
        if (answer.ResultCode != 0)
        {
            throw new PortMappingException($"PCP could not delete the mapping of {mapping.Protocol} port {mapping.InternalPort}: {PcpCodec.Describe(answer.ResultCode)}.", answer.ResultCode);
        }

        _nonces.TryRemove((mapping.Protocol, mapping.InternalPort), out _);
    }

    private async Task<PcpResponse> AskMapAsync(
        byte[] nonce, string protocol, int internalPort, int externalPort, uint lifetime, IPAddress? externalAddress, CancellationToken cancellationToken)
    {
        var protocolNumber = PcpCodec.ProtocolNumber(protocol);
        var answer = await Exchange.RequestAsync(
                client => PcpCodec.MapRequest(nonce, protocol, checked((ushort)internalPort), checked((ushort)externalPort), lifetime, client, externalAddress),
                bytes => Accept(bytes, response => response.Opcode == PcpCodec.MapOpcode && (response.Map is null
                    ? response.ResultCode != 0
                    : response.Map.Nonce.Span.SequenceEqual(nonce) && response.Map.Protocol == protocolNumber && response.Map.InternalPort == internalPort)),
                cancellationToken)
            ?? throw new PortMappingException($"The gateway {Gateway?.ToString() ?? "(none found)"} gave no PCP answer.");
        if (answer.Version != PcpCodec.Version)
        {
            throw new PortMappingException($"The gateway answered PCP in version {answer.Version}: it does not speak PCP version 2.", PcpCodec.UnsupportedVersion);
        }

        return answer;
    }

    private PcpResponse? Accept(byte[] bytes, Func<PcpResponse, bool> answers)
    {
        PcpResponse response;
        try
        {
            response = PcpCodec.Decode(bytes);
        }
        catch (NatPmpFormatException)
        {
            return null;
        }

        if (response.Version != PcpCodec.Version)
        {
            // Another version's answer says only that it does not speak ours (§9); its fields are not PCP's.
            return response;
        }

        if (!answers(response))
        {
            return null;
        }

        ObserveEpoch(response.Epoch);

        return response;
    }
}
