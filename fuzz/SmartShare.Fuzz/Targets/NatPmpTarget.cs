using SmartShare.Node.Reachability.NatPmp;

namespace SmartShare.Fuzz.Targets;

/// <summary>
/// A datagram from the gateway's port 5351, read as a NAT-PMP response and as a PCP response; what decodes
/// successfully must encode back to the same response.
/// </summary>
public static class NatPmpTarget
{
    public static void Run(byte[] input)
    {
        try
        {
            var response = NatPmpCodec.Decode(input);
            if (response.ResultCode == 0 && NatPmpCodec.Decode(NatPmpCodec.Encode(response)) != response)
            {
                throw new InvalidOperationException("A NAT-PMP response did not survive encoding.");
            }
        }
        catch (NatPmpFormatException)
        {
        }

        try
        {
            var response = PcpCodec.Decode(input);
            if (response is { Version: PcpCodec.Version, ResultCode: 0, Map: { } map })
            {
                var again = PcpCodec.Decode(PcpCodec.Encode(response)).Map;
                if (again is null || !again.Nonce.Span.SequenceEqual(map.Nonce.Span) || again with { Nonce = default } != map with { Nonce = default })
                {
                    throw new InvalidOperationException("A PCP response did not survive encoding.");
                }
            }
        }

        catch (NatPmpFormatException)
        {
        }
    }
}
