using System.Text;
using FsCheck;
using FsCheck.Fluent;
using SmartShare.Lbry.Streams;
using SmartShare.Lbry.Tests.Support;

namespace SmartShare.Lbry.Tests.Streams;

public sealed class StreamDescriptorCodecTests
{
    private static readonly string HelloSd = Vectors.Load("streams.json")[0].GetProperty("sd_blob").GetString()!;
    private static readonly string TwoBlobSd = Vectors.Load("streams.json")[1].GetProperty("sd_blob").GetString()!;

    [Fact]
    public void Parses_the_vector_and_reserializes_it_byte_for_byte()
    {
        var descriptor = StreamDescriptorCodec.Parse(Encoding.ASCII.GetBytes(TwoBlobSd));

        Assert.Equal("two blobs.bin", descriptor.StreamName);
        Assert.Equal("two blobs.bin", descriptor.SuggestedFileName);
        Assert.Equal(2, descriptor.DataBlobCount);
        Assert.True(descriptor.Blobs[^1].IsTerminator);
        Assert.Equal(TwoBlobSd, Encoding.ASCII.GetString(StreamDescriptorCodec.Serialize(descriptor)));
    }

    [Fact]
    public void Accepts_any_json_layout_as_lbry_sdk_does()
    {
        var reformatted = HelloSd.Replace(", ", ",\n  ", StringComparison.Ordinal).Replace(": ", ":", StringComparison.Ordinal)
            .Replace("\"stream_type\":\"lbryfile\"", "\"stream_type\":\"something else\",\"extra\":[1,{\"a\":null}]", StringComparison.Ordinal);

        var descriptor = StreamDescriptorCodec.Parse(Encoding.UTF8.GetBytes(reformatted));

        Assert.Equal(HelloSd, Encoding.ASCII.GetString(StreamDescriptorCodec.Serialize(descriptor)));
    }

    public static TheoryData<string, string, string> Corruptions() => new()
    {
        // name of the case, text to replace, replacement
        { "not JSON", "{\"blobs\"", "[\"blobs\"" },
        { "key not hex", "\"key\": \"000102030405060708090a0b0c0d0e0f\"", "\"key\": \"zz0102030405060708090a0b0c0d0e0f\"" },
        { "key too short", "\"key\": \"000102030405060708090a0b0c0d0e0f\"", "\"key\": \"0001\"" },
        { "iv not hex", "\"iv\": \"10101010101010101010101010101010\"", "\"iv\": \"1010101010101010101010101010101g\"" },
        { "blob hash too short", "\"blob_hash\": \"622d", "\"blob_hash\": \"2d" },
        { "blob hash upper case", "\"blob_hash\": \"622d", "\"blob_hash\": \"622D" },
        { "no terminator", ", {\"blob_num\": 1, \"iv\": \"20202020202020202020202020202020\", \"length\": 0}", string.Empty },
        { "terminator with a hash", "{\"blob_num\": 1, \"iv\"", "{\"blob_hash\": \"622d710bfc1b7035e9b7468325e3740fe8c68a0280e789812bce3a0ec9e3cc1a748fcafa0bf4ddc69680ce58c0fcb702\", \"blob_num\": 1, \"iv\"" },
        { "blob numbers skip", "\"blob_num\": 1,", "\"blob_num\": 2," },
        { "blob number negative", "\"blob_num\": 0,", "\"blob_num\": -1," },
        { "blob number not an integer", "\"blob_num\": 0,", "\"blob_num\": 0.5," },
        { "length not a block multiple", "\"length\": 16}", "\"length\": 17}" },
        { "length over a blob", "\"length\": 16}", "\"length\": 2097168}" },
        { "length is a string", "\"length\": 16}", "\"length\": \"16\"}" },
        { "stream hash wrong", "\"stream_hash\": \"03f5", "\"stream_hash\": \"13f5" },
        { "stream name not hex", "\"stream_name\": \"68656c6c6f2e747874\"", "\"stream_name\": \"hello.txt\"" },
        { "stream name odd hex", "\"stream_name\": \"68656c6c6f2e747874\"", "\"stream_name\": \"68656c6c6f2e74787\"" },
        { "stream name not UTF-8", "\"stream_name\": \"68656c6c6f2e747874\"", "\"stream_name\": \"ff\"" },
        { "no key", "\"key\": \"000102030405060708090a0b0c0d0e0f\", ", string.Empty },
        { "blobs not a list", "\"blobs\": [", "\"blobs\": {\"x\": [" },
        { "trailing data", "\"suggested_file_name\": \"68656c6c6f2e747874\"}", "\"suggested_file_name\": \"68656c6c6f2e747874\"} {}" },
        { "truncated", "\"suggested_file_name\": \"68656c6c6f2e747874\"}", "\"suggested_file_name\": \"68656c6c" },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void Rejects_a_broken_descriptor_with_the_typed_error(string name, string find, string replace)
    {
        Assert.Contains(find, HelloSd, StringComparison.Ordinal);
        var broken = HelloSd.Replace(find, replace, StringComparison.Ordinal);

        var error = Assert.Throws<InvalidStreamDescriptorException>(() => StreamDescriptorCodec.Parse(Encoding.UTF8.GetBytes(broken), "abc"));

        Assert.False(string.IsNullOrWhiteSpace(name));
        Assert.StartsWith("The stream descriptor abc ", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 0x0a, 0x7f, 0x41 })]
    [InlineData(new byte[] { 0x7b, 0x0a, 0x1b, 0x5b, 0x32, 0x4a })]
    [InlineData(new byte[] { 0xff, 0xfe, 0x00 })]
    public void A_descriptor_that_is_not_json_is_refused_without_quoting_its_bytes(byte[] sd)
    {
        var error = Assert.Throws<InvalidStreamDescriptorException>(() => StreamDescriptorCodec.Parse(sd, "abc"));

        Assert.StartsWith("The stream descriptor abc is not valid JSON (line ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(error.Message, character => char.IsControl(character) || character > '~');
        Assert.DoesNotContain("'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_a_zero_length_data_blob_before_the_terminator()
    {
        var blobs = new List<StreamBlobInfo>
        {
            new(0, 0, new string('1', 32), null),
            new(1, 0, new string('2', 32), null),
        };
        var hash = StreamDescriptorCodec.ComputeStreamHash("a", new string('0', 32), "a", blobs);
        var sd = StreamDescriptorCodec.Serialize(new StreamDescriptor("a", new string('0', 32), "a", hash, blobs));

        var error = Assert.Throws<InvalidStreamDescriptorException>(() => StreamDescriptorCodec.Parse(sd));

        Assert.Contains("length 0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Accepts_a_terminator_only_descriptor_as_lbry_sdk_does()
    {
        var blobs = new List<StreamBlobInfo> { new(0, 0, new string('1', 32), null) };
        var hash = StreamDescriptorCodec.ComputeStreamHash("empty", new string('0', 32), "empty", blobs);
        var sd = StreamDescriptorCodec.Serialize(new StreamDescriptor("empty", new string('0', 32), "empty", hash, blobs));

        var descriptor = StreamDescriptorCodec.Parse(sd);

        Assert.Equal(0, descriptor.DataBlobCount);
    }

    [Fact]
    public void Rejects_an_oversized_sd_blob_without_reading_it()
    {
        var huge = new byte[(2 * 1024 * 1024) + 1];

        var error = Assert.Throws<InvalidStreamDescriptorException>(() => StreamDescriptorCodec.Parse(huge));

        Assert.Contains("blob limit", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_deeply_nested_json()
    {
        var nested = "{\"x\": " + new string('[', 5000) + new string(']', 5000) + "}";

        Assert.Throws<InvalidStreamDescriptorException>(() => StreamDescriptorCodec.Parse(Encoding.ASCII.GetBytes(nested)));
    }

    [Fact]
    public void Random_bytes_give_a_descriptor_or_the_typed_error_only()
    {
        var property = Prop.ForAll(
            ArbMap.Default.ArbFor<byte[]>(),
            bytes => ParsesOrRefuses(bytes));

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(2000), property);
    }

    [Fact]
    public void Mutated_valid_descriptors_give_a_descriptor_or_the_typed_error_only()
    {
        var source = Encoding.ASCII.GetBytes(TwoBlobSd);
        var mutations = Gen.Choose(0, source.Length - 1).Two().Zip(Gen.Choose(0, 255), (places, value) => (places.Item1, places.Item2, value));
        var property = Prop.ForAll(
            mutations.ToArbitrary(),
            mutation =>
            {
                var bytes = (byte[])source.Clone();
                bytes[mutation.Item1] = (byte)mutation.value;
                var truncated = bytes.AsSpan(0, Math.Max(mutation.Item1, mutation.Item2)).ToArray();
                return ParsesOrRefuses(bytes) && ParsesOrRefuses(truncated);
            });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(3000), property);
    }

    [Fact]
    public void Canonical_length_is_the_serialized_length_for_any_stream_shape()
    {
        var shapes =
            from names in Gen.Elements("a", "two blobs.bin", "\u00e9t\u00e9 \u2603.mkv", new string('x', 300)).Two()
            from lengths in Gen.Choose(1, BlobStoreMax / 16).Select(blocks => blocks * 16).ListOf()
            select (names.Item1, names.Item2, lengths);
        var property = Prop.ForAll(shapes.ToArbitrary(), shape =>
        {
            var blobs = shape.lengths
                .Select((length, i) => new StreamBlobInfo(i, length, new string('a', 32), SmartShare.Lbry.Blobs.BlobHash.Compute([(byte)i])))
                .Append(new StreamBlobInfo(shape.lengths.Count, 0, new string('b', 32), null))
                .ToList();
            var key = new string('0', 32);
            var descriptor = new StreamDescriptor(shape.Item1, key, shape.Item2, StreamDescriptorCodec.ComputeStreamHash(shape.Item1, key, shape.Item2, blobs), blobs);

            return StreamDescriptorCodec.CanonicalLength(shape.Item1, key.Length, shape.Item2, blobs.Select(blob => blob.Length))
                == StreamDescriptorCodec.Serialize(descriptor).Length;
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), property);
    }

    private const int BlobStoreMax = 2 * 1024 * 1024;

    private static bool ParsesOrRefuses(byte[] bytes)
    {
        try
        {
            var descriptor = StreamDescriptorCodec.Parse(bytes);

            // Whatever parses is self-consistent: re-serialized, it parses to the same stream.
            return StreamDescriptorCodec.Parse(StreamDescriptorCodec.Serialize(descriptor)).StreamHash == descriptor.StreamHash;
        }
        catch (InvalidStreamDescriptorException)
        {
            return true;
        }
    }
}
