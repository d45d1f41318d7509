using FsCheck;
using FsCheck.Fluent;
using SmartShare.Node.Shares;

namespace SmartShare.Node.Tests.Shares;

public sealed class SmartShareCodecPropertyTests
{
    private static readonly Config Quick = Config.QuickThrowOnFailure.WithMaxTest(300);

    [Fact]
    public void Any_valid_share_round_trips_through_the_file()
    {
        Check.One(Quick, Prop.ForAll(SmartShareSamples.Files(), file =>
            SmartShareCodec.Parse(SmartShareCodec.Serialize(file)).Equals(file)));
    }

    [Fact]
    public void Any_valid_share_round_trips_through_the_link_without_its_sd_blob()
    {
        Check.One(Quick, Prop.ForAll(SmartShareSamples.Files(), file =>
        {
            var link = SmartShareCodec.ToLink(file);
            var blobText = file.SdBlob is { Length: > 8 } blob ? Convert.ToBase64String(blob) : null;
            return SmartShareCodec.ParseLink(link).Equals(file with { SdBlob = null })
                && (blobText is null || !link.Contains(Uri.EscapeDataString(blobText), StringComparison.Ordinal));
        }));
    }

    [Fact]
    public void Random_bytes_raise_only_the_format_exception()
    {
        Check.One(Quick, Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), bytes => ParsesOrRefuses(() => SmartShareCodec.Parse(bytes))));
    }

    [Fact]
    public void Random_strings_raise_only_the_format_exception_as_links()
    {
        Check.One(Quick, Prop.ForAll(ArbMap.Default.ArbFor<string>(), text =>
            text is null || ParsesOrRefuses(() => SmartShareCodec.ParseLink(SmartShareCodec.LinkScheme + "?v=1&" + text))));
    }

    [Fact]
    public void Mutated_files_parse_to_a_valid_share_or_raise_only_the_format_exception()
    {
        var mutations = from bytes in SmartShareSamples.ValidFileBytes().Generator
                        from count in Gen.Choose(1, 4)
                        from edits in Gen.ListOf(Edit(), count)
                        select edits.Aggregate(bytes, (current, edit) => edit(current));

        Check.One(Quick, Prop.ForAll(mutations.ToArbitrary(), bytes => ParsesOrRefuses(() =>
        {
            // Whatever a mutation leaves readable must still be a share the codec would write.
            var file = SmartShareCodec.Parse(bytes);
            return SmartShareCodec.Parse(SmartShareCodec.Serialize(file)).Equals(file);
        })));
    }

    [Fact]
    public void Mutated_links_parse_to_a_valid_share_or_raise_only_the_format_exception()
    {
        var mutations = from file in SmartShareSamples.Files().Generator
                        from count in Gen.Choose(1, 4)
                        from edits in Gen.ListOf(Edit(), count)
                        let bytes = System.Text.Encoding.Latin1.GetBytes(SmartShareCodec.ToLink(file))
                        select System.Text.Encoding.Latin1.GetString(edits.Aggregate(bytes, (current, edit) => edit(current)));

        Check.One(Quick, Prop.ForAll(mutations.ToArbitrary(), link => ParsesOrRefuses(() =>
        {
            var file = SmartShareCodec.ParseLink(link);
            return SmartShareCodec.ParseLink(SmartShareCodec.ToLink(file)).Equals(file);
        })));
    }

    private static bool ParsesOrRefuses(Func<object> parse)
    {
        try
        {
            return parse() is not false;
        }
        catch (SmartShareFormatException e)
        {
            return e.Message.Length > 0;
        }
    }

    /// <summary>One random edit (flip, insert, delete, overwrite), often with a byte that matters to JSON or links.</summary>
    private static Gen<Func<byte[], byte[]>> Edit() => ByteEdits.Edit('"', '{', '}', '[', ']', ',', ':', '&', '=', '%', '\\', '0', '9', '-', '.');
}
