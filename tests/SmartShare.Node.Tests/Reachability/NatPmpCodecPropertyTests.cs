using System.Net;
using FsCheck;
using FsCheck.Fluent;
using SmartShare.Node.Reachability.NatPmp;

namespace SmartShare.Node.Tests.Reachability;

/// <summary>Whatever a gateway (or anyone on the LAN) sends to our port, the decoders answer or refuse with their format exception.</summary>
public sealed class NatPmpCodecPropertyTests
{
    private static readonly Config Quick = Config.QuickThrowOnFailure.WithMaxTest(1000);

    [Fact]
    public void Random_bytes_raise_only_the_format_exception()
    {
        Check.One(Quick, Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), bytes =>
            DecodesOrRefuses(() => NatPmpCodec.Decode(bytes ?? [])) && DecodesOrRefuses(() => PcpCodec.Decode(bytes ?? []))));
    }

    [Fact]
    public void Mutated_valid_responses_decode_or_raise_only_the_format_exception()
    {
        var valid = Gen.Elements(
            NatPmpCodec.Encode(new NatPmpResponse(0, 0, 9, IPAddress.Parse("11.77.1.1"))),
            NatPmpCodec.Encode(new NatPmpResponse(2, 0, 9, null, 6881, 6881, 7200)),
            PcpCodec.Encode(new PcpResponse(2, 1, 0, 7200, 9, new PcpMapResult(new byte[12], 6, 4444, 4444, IPAddress.Parse("11.77.1.1")))),
            PcpCodec.Encode(new PcpResponse(2, 0, 0, 0, 9)));
        var mutated = from bytes in valid
                      from position in Gen.Choose(0, 59)
                      from value in Gen.Choose(0, 255)
                      from cut in Gen.Choose(0, 64)
                      select Mutate(bytes, position, (byte)value, cut);

        Check.One(Quick, Prop.ForAll(mutated.ToArbitrary(), bytes =>
            DecodesOrRefuses(() => NatPmpCodec.Decode(bytes)) && DecodesOrRefuses(() => PcpCodec.Decode(bytes))));
    }

    [Fact]
    public void Any_response_round_trips()
    {
        var natPmp = from opcode in Gen.Elements<byte>(0, 1, 2)
                     from epoch in ArbMap.Default.GeneratorFor<uint>()
                     from ports in ArbMap.Default.GeneratorFor<ushort>().Two()
                     from lifetime in ArbMap.Default.GeneratorFor<uint>()
                     from address in ArbMap.Default.GeneratorFor<uint>()
                     select opcode == 0
                         ? new NatPmpResponse(0, 0, epoch, new IPAddress(BitConverter.GetBytes(address)))
                         : new NatPmpResponse(opcode, 0, epoch, null, ports.Item1, ports.Item2, lifetime);
        Check.One(Quick, Prop.ForAll(natPmp.ToArbitrary(), response => NatPmpCodec.Decode(NatPmpCodec.Encode(response)) == response));

        var pcp = from nonce in Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), 12)
                  from protocol in Gen.Elements<byte>(6, 17)
                  from ports in ArbMap.Default.GeneratorFor<ushort>().Two()
                  from header in ArbMap.Default.GeneratorFor<uint>().Two()
                  from address in ArbMap.Default.GeneratorFor<uint>()
                  select new PcpResponse(2, 1, 0, header.Item1, header.Item2, new PcpMapResult(nonce, protocol, ports.Item1, ports.Item2, new IPAddress(BitConverter.GetBytes(address))));
        Check.One(Quick, Prop.ForAll(pcp.ToArbitrary(), response =>
        {
            var decoded = PcpCodec.Decode(PcpCodec.Encode(response));
            return decoded with { Map = null } == response with { Map = null }
                && decoded.Map!.Nonce.Span.SequenceEqual(response.Map!.Nonce.Span)
                && decoded.Map with { Nonce = default } == response.Map with { Nonce = default };
        }));
    }

    private static byte[] Mutate(byte[] bytes, int position, byte value, int cut)
    {
        var copy = bytes.ToArray();
        copy[position % copy.Length] = value;
        return cut < copy.Length ? copy[..cut] : copy;
    }

    private static bool DecodesOrRefuses(Action decode)
    {
        try
        {
            decode();
        }
        catch (NatPmpFormatException)
        {
        }

        return true;
    }
}
