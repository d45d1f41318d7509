using FsCheck;
using FsCheck.Fluent;

namespace SmartShare.Bencode.Tests;

/// <summary>Random inputs never escape as anything but <see cref="BencodeFormatException"/>; random values round-trip.</summary>
public class BencodePropertyTests
{
    private static readonly byte[] BencodeAlphabet = TestBytes.Of("ilde0123456789:-x");

    private static readonly BencodeMode[] Modes = [BencodeMode.Strict, BencodeMode.Lbry];

    [Fact]
    public void Random_bytes_decode_or_throw_only_the_format_exception()
    {
        var property = Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), DecodesOrRejectsInEveryMode);

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(3000), property);
    }

    [Fact]
    public void Random_strings_of_bencode_characters_decode_or_throw_only_the_format_exception()
    {
        var inputs = Gen.Choose(0, 40).SelectMany(length => Gen.ArrayOf(Gen.Elements(BencodeAlphabet), length)).ToArbitrary();

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(5000), Prop.ForAll(inputs, DecodesOrRejectsInEveryMode));
    }

    [Fact]
    public void Mutated_and_truncated_encodings_decode_or_throw_only_the_format_exception()
    {
        var mutated =
            from mode in Gen.Elements(Modes)
            from value in ValueGen(mode, 3)
            let encoded = BencodeEncoder.Encode(value, mode)
            from kind in Gen.Choose(0, 3)
            from index in Gen.Choose(0, encoded.Length)
            from replacement in Gen.Elements(BencodeAlphabet.Concat(new byte[] { 0, 0xff }).ToArray())
            select Mutate(encoded, kind, index, replacement);

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(4000), Prop.ForAll(mutated.ToArbitrary(), DecodesOrRejectsInEveryMode));
    }

    [Fact]
    public void Random_values_round_trip_byte_for_byte_in_strict_mode()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(1500), Prop.ForAll(ValueGen(BencodeMode.Strict, 4).ToArbitrary(), value => RoundTrips(value, BencodeMode.Strict)));
    }

    [Fact]
    public void Random_values_round_trip_byte_for_byte_in_lbry_mode()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(1500), Prop.ForAll(ValueGen(BencodeMode.Lbry, 4).ToArbitrary(), value => RoundTrips(value, BencodeMode.Lbry)));
    }

    private static bool RoundTrips(BencodeValue value, BencodeMode mode)
    {
        var first = BencodeEncoder.Encode(value, mode);
        var second = BencodeEncoder.Encode(BencodeDecoder.Decode(first, mode), mode);
        return first.AsSpan().SequenceEqual(second);
    }

    private static bool DecodesOrRejectsInEveryMode(byte[] input)
    {
        foreach (var mode in Modes)
        {
            BencodeValue decoded;
            try
            {
                decoded = BencodeDecoder.Decode(input, mode);
                ReadAndSkipEverything(input, mode);
            }
            catch (BencodeFormatException error)
            {
                if (error.Offset < 0 || error.Offset > input.Length)
                {
                    return false;
                }

                continue;
            }

            // Strict bencode is canonical: whatever it accepts, it writes back unchanged.
            if (mode == BencodeMode.Strict && !BencodeEncoder.Encode(decoded, mode).AsSpan().SequenceEqual(input))
            {
                return false;
            }

            // Lbry mode may reorder keys, but what it writes it must read again.
            BencodeDecoder.Decode(BencodeEncoder.Encode(decoded, mode), mode);
        }

        return true;
    }

    private static void ReadAndSkipEverything(byte[] input, BencodeMode mode)
    {
        var reader = new BencodeReader(input, mode);
        reader.Read();
        reader.Skip();
        if (reader.Read())
        {
            throw new InvalidOperationException("Skip from the root left tokens behind.");
        }
    }

    private static byte[] Mutate(byte[] encoded, int kind, int index, byte replacement)
    {
        var bytes = encoded.ToList();
        switch (kind)
        {
            case 0:
                return encoded[..index];
            case 1 when index < bytes.Count:
                bytes[index] = replacement;
                break;
            case 2:
                bytes.Insert(index, replacement);
                break;
            case 3 when index < bytes.Count:
                bytes.RemoveAt(index);
                break;
        }

        return [.. bytes];
    }

    private static Gen<BencodeValue> ValueGen(BencodeMode mode, int depth)
    {
        var integer = Gen.Elements(0L, 1L, -1L, 9L, 10L, long.MaxValue, long.MinValue)
            .Or(Gen.Choose(int.MinValue, int.MaxValue).Select(n => (long)n * 3))
            .Select(n => (BencodeValue)new BencodeInteger(n));
        var byteString = Gen.Choose(0, 60)
            .SelectMany(length => Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), length))
            .Select(bytes => (BencodeValue)new BencodeByteString(bytes));
        var scalar = Gen.OneOf(integer, byteString);
        if (depth == 0)
        {
            return scalar;
        }

        var child = ValueGen(mode, depth - 1);
        var list = Gen.Choose(0, 4).SelectMany(count => Gen.ArrayOf(child, count)).Select(items => (BencodeValue)new BencodeList(items));
        var entry = KeyGen(mode).SelectMany(key => child.Select(value => new BencodeEntry(key, value)));
        var dictionary = Gen.Choose(0, 5)
            .SelectMany(count => Gen.ArrayOf(entry, count))
            .Select(entries => (BencodeValue)new BencodeDictionary(entries.DistinctBy(e => SortIdentity(e.Key, mode))));
        return Gen.Frequency((3, scalar), (2, list), (2, dictionary));
    }

    private static Gen<BencodeKey> KeyGen(BencodeMode mode)
    {
        var bytes = Gen.Choose(0, 6)
            .SelectMany(length => Gen.ArrayOf(Gen.Elements(TestBytes.Of("abcp09\0\xff")), length))
            .Select(key => BencodeKey.FromBytes(key));
        if (mode == BencodeMode.Strict)
        {
            return bytes;
        }

        var integer = Gen.Choose(-3, 120).Select(n => BencodeKey.FromInteger(n));
        return Gen.OneOf(bytes, integer);
    }

    // Two keys that the mode sorts to the same place are duplicates, so a generated dictionary keeps only one.
    private static string SortIdentity(BencodeKey key, BencodeMode mode)
    {
        if (key.IsInteger)
        {
            return "i" + key;
        }

        var text = TestBytes.Text(key.Bytes.Span);
        return mode == BencodeMode.Lbry && long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var n)
            && n.ToString(System.Globalization.CultureInfo.InvariantCulture) == text
            ? "i" + text
            : "b" + text;
    }
}
