using FsCheck;
using FsCheck.Fluent;
using SmartShare.Node.Reachability.Upnp;

namespace SmartShare.Node.Tests.Reachability.Upnp;

/// <summary>The three UPnP decoders over random and mutated bytes: an answer or an <see cref="UpnpFormatException"/>, nothing else.</summary>
public sealed class UpnpPropertyTests
{
    private static readonly Config Quick = Config.QuickThrowOnFailure.WithMaxTest(400);

    [Fact]
    public void Random_bytes_raise_only_the_format_exception_in_every_decoder()
    {
        Check.One(Quick, Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), bytes =>
            Refuses(() => SsdpCodec.Parse(bytes))
            && Refuses(() => UpnpDescription.Parse(bytes, UpnpSamples.Location))
            && Refuses(() => UpnpSoap.ParseResponse(bytes, "AddPortMapping"))));
    }

    [Fact]
    public void Mutated_ssdp_answers_give_an_http_location_or_the_format_exception()
    {
        Check.One(Quick, Prop.ForAll(Mutations(UpnpSamples.SsdpAnswer), bytes => Refuses(() =>
        {
            var answer = SsdpCodec.Parse(bytes);
            return answer.Location.IsAbsoluteUri && answer.Location.Scheme == Uri.UriSchemeHttp && answer.Location.OriginalString.Length <= SsdpCodec.MaxLocationLength;
        })));
    }

    [Fact]
    public void Mutated_descriptions_give_a_control_url_on_the_router_or_the_format_exception()
    {
        Check.One(Quick, Prop.ForAll(Mutations(UpnpSamples.Description), bytes => Refuses(() =>
        {
            var controlPoint = UpnpDescription.Parse(bytes, UpnpSamples.Location);
            return controlPoint.ControlUrl.Scheme == Uri.UriSchemeHttp && controlPoint.ControlUrl.Host == UpnpSamples.Location.Host;
        })));
    }

    [Fact]
    public void Mutated_soap_answers_give_arguments_or_a_fault_or_the_format_exception()
    {
        var samples = Gen.Elements(UpnpSamples.ExternalAddressAnswer, UpnpSamples.AddPortMappingAnswer, UpnpSamples.ConflictFault);
        var mutations = from sample in samples
                        from count in Gen.Choose(1, 4)
                        from edits in Gen.ListOf(Edit(), count)
                        select edits.Aggregate(sample, (current, edit) => edit(current));

        Check.One(Quick, Prop.ForAll(mutations.ToArbitrary(), bytes => Refuses(() =>
        {
            var first = UpnpSoap.ParseResponse(bytes, "GetExternalIPAddress");
            var second = UpnpSoap.ParseResponse(bytes, "AddPortMapping");
            return first.Arguments.Count <= UpnpSoap.MaxArguments && second.Arguments.Values.All(value => value.Length <= UpnpSoap.MaxValueLength);
        }, alsoRefused: true)));
    }

    [Fact]
    public void Any_argument_values_survive_the_envelope_escaped()
    {
        var text = Gen.ArrayOf(Gen.Elements("ab zAZ09<>&\"';:/#=%-_.é".ToCharArray())).Select(chars => new string(chars).Trim());
        var arguments = from values in Gen.ListOf(text, 3) select values.Select((value, i) => new KeyValuePair<string, string>($"Arg{i}", value)).ToArray();

        Check.One(Quick, Prop.ForAll(arguments.ToArbitrary(), pairs =>
        {
            var envelope = UpnpSoap.BuildRequest("urn:schemas-upnp-org:service:WANIPConnection:2", "ProbeResponse", pairs);
            var answer = UpnpSoap.ParseResponse(System.Text.Encoding.UTF8.GetBytes(envelope), "Probe");
            return pairs.All(pair => answer.Arguments[pair.Key] == pair.Value);
        }));
    }

    private static Arbitrary<byte[]> Mutations(byte[] sample) =>
        (from count in Gen.Choose(1, 4)
         from edits in Gen.ListOf(Edit(), count)
         select edits.Aggregate(sample, (current, edit) => edit(current))).ToArbitrary();

    private static bool Refuses(Func<object> parse, bool alsoRefused = false)
    {
        try
        {
            return parse() is not false;
        }
        catch (UpnpFormatException e)
        {
            return e.Message.Length > 0 || alsoRefused;
        }
    }

    /// <summary>One random edit (flip, insert, delete, overwrite), often with a byte that matters to HTTP headers or XML.</summary>
    private static Gen<Func<byte[], byte[]>> Edit() => ByteEdits.Edit('<', '>', '/', '&', ';', '"', '=', ':', '\r', '\n', ' ', '!', '?', '#');
}
