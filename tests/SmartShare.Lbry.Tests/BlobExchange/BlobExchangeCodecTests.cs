using System.Buffers;
using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using SmartShare.Lbry.BlobExchange;
using SmartShare.Lbry.Blobs;

namespace SmartShare.Lbry.Tests.BlobExchange;

public sealed class BlobExchangeCodecTests
{
    private static readonly JsonElement Vectors = Support.Vectors.Load("blob-exchange.json");
    private static readonly BlobHash VectorHash = BlobHash.Parse(Vectors.GetProperty("blob_hash").GetString()!);
    private static readonly string H = VectorHash.ToString();

    private static byte[] Vector(string name) => Encoding.UTF8.GetBytes(Vectors.GetProperty(name).GetString()!);

    [Fact]
    public void Writes_the_request_lbry_sdk_sends_byte_for_byte()
    {
        var output = new ArrayBufferWriter<byte>();

        BlobExchangeCodec.WriteRequest(VectorHash, output);

        Assert.Equal(295, output.WrittenCount);
        Assert.Equal(Vector("request"), output.WrittenSpan.ToArray());
        Assert.Equal(Vector("request"), BlobExchangeCodec.EncodeRequest(BlobRequest.ForBlob(VectorHash)));
    }

    [Fact]
    public void Writes_both_vector_responses_byte_for_byte()
    {
        var have = new BlobResponse
        {
            IncomingBlob = new IncomingBlob(VectorHash, 2097152),
            BlobDataPaymentRate = BlobResponse.RateAccepted,
            AvailableBlobs = [VectorHash],
            LbrycrdAddress = BlobResponse.ServerAddress,
        };
        var missing = new BlobResponse
        {
            BlobDataPaymentRate = BlobResponse.RateAccepted,
            AvailableBlobs = [],
            LbrycrdAddress = BlobResponse.ServerAddress,
        };

        Assert.Equal(Vector("response_have_then_2097152_raw_bytes"), BlobExchangeCodec.EncodeResponse(have));
        Assert.Equal(372, BlobExchangeCodec.EncodeResponse(have).Length);
        Assert.Equal(Vector("response_missing"), BlobExchangeCodec.EncodeResponse(missing));
        Assert.Equal(123, BlobExchangeCodec.EncodeResponse(missing).Length);
    }

    [Fact]
    public void Decodes_the_vector_request_into_all_four_keys()
    {
        var request = BlobExchangeCodec.DecodeRequest(Vector("request"));

        Assert.Equal([VectorHash], request.RequestedBlobs);
        Assert.True(request.LbrycrdAddress);
        Assert.Equal(0.0, request.BlobDataPaymentRate);
        Assert.Equal(VectorHash, request.RequestedBlob);
    }

    [Theory]
    [InlineData("{\"requested_blob\": \"H\"}")]
    [InlineData("{\"requested_blob\":\"H\",\"requested_blobs\":[\"H\"]}")]
    [InlineData("  {\"blob_data_payment_rate\": 0, \"requested_blob\": \"H\", \"lbrycrd_address\": false, \"x\": [1, {\"y\": null}]}\n")]
    [InlineData("{\"lbrycrd_address\": true}")]
    public void Accepts_requests_with_any_subset_of_keys_in_any_order(string json)
    {
        var request = BlobExchangeCodec.DecodeRequest(Encoding.UTF8.GetBytes(json.Replace("H", H, StringComparison.Ordinal)));

        Assert.True(request.RequestedBlob is not null || request.LbrycrdAddress is not null);
        if (json.Contains("requested_blob\"", StringComparison.Ordinal))
        {
            Assert.Equal(VectorHash, request.RequestedBlob);
        }
    }

    [Fact]
    public void Round_trips_a_request_with_only_some_keys()
    {
        var request = new BlobRequest { RequestedBlob = VectorHash, BlobDataPaymentRate = 0.5 };

        var bytes = BlobExchangeCodec.EncodeRequest(request);
        var decoded = BlobExchangeCodec.DecodeRequest(bytes);

        Assert.Equal($"{{\"blob_data_payment_rate\": 0.5, \"requested_blob\": \"{H}\"}}", Encoding.UTF8.GetString(bytes));
        Assert.Equal(VectorHash, decoded.RequestedBlob);
        Assert.Equal(0.5, decoded.BlobDataPaymentRate);
        Assert.Null(decoded.RequestedBlobs);
        Assert.Null(decoded.LbrycrdAddress);
    }

    [Theory]
    [InlineData("{\"other\": 1}")]
    [InlineData("{}")]
    [InlineData("[1, 2]")]
    [InlineData("{\"requested_blob\": \"H\"} {}")]
    [InlineData("{\"requested_blob\": \"H\"")]
    [InlineData("{\"requested_blob\": 5}")]
    [InlineData("{\"requested_blob\": \"abc\"}")]
    [InlineData("{\"lbrycrd_address\": \"yes\"}")]
    public void Rejects_requests_the_lbry_sdk_server_would_close_on(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json.Replace("H", H, StringComparison.Ordinal));

        Assert.Throws<BlobExchangeFormatException>(() => BlobExchangeCodec.DecodeRequest(bytes));
    }

    [Fact]
    public void Rejects_uppercase_hashes_as_lbry_sdk_does()
    {
        var bytes = Encoding.UTF8.GetBytes($"{{\"requested_blob\": \"{H.ToUpperInvariant()}\"}}");

        Assert.Throws<BlobExchangeFormatException>(() => BlobExchangeCodec.DecodeRequest(bytes));
    }

    [Fact]
    public void Rejects_a_request_of_1200_bytes_or_more()
    {
        var padding = new string(' ', 1200);
        var bytes = Encoding.UTF8.GetBytes($"{{\"requested_blob\": \"{H}\"}}{padding}");

        Assert.Throws<BlobExchangeFormatException>(() => BlobExchangeCodec.DecodeRequest(bytes));
    }

    [Fact]
    public void Splits_the_response_header_from_the_blob_bytes_that_follow()
    {
        var header = Vector("response_have_then_2097152_raw_bytes");
        var buffered = header.Concat("}{raw\"}"u8.ToArray()).ToArray();

        Assert.True(BlobExchangeCodec.TryDecodeResponse(buffered, out var response, out var headerLength));

        Assert.Equal(header.Length, headerLength);
        Assert.Equal(VectorHash, response.IncomingBlob!.Hash);
        Assert.Equal(2097152, response.IncomingBlob.Length);
        Assert.Equal(BlobResponse.RateAccepted, response.BlobDataPaymentRate);
        Assert.Equal([VectorHash], response.AvailableBlobs);
        Assert.Equal(BlobResponse.ServerAddress, response.LbrycrdAddress);
    }

    [Fact]
    public void Asks_for_more_bytes_while_the_header_is_incomplete()
    {
        var header = Vector("response_missing");

        for (var cut = 0; cut < header.Length; cut++)
        {
            Assert.False(BlobExchangeCodec.TryDecodeResponse(header.AsSpan(0, cut), out _, out _));
        }

        Assert.True(BlobExchangeCodec.TryDecodeResponse(header, out var response, out var length));
        Assert.Equal(header.Length, length);
        Assert.Null(response.IncomingBlob);
        Assert.Empty(response.AvailableBlobs!);
    }

    [Fact]
    public void Finds_the_end_of_a_header_whose_strings_hold_braces()
    {
        var header = Encoding.UTF8.GetBytes("{\"incoming_blob\": {\"error\": \"no } here {\"}, \"available_blobs\": []}");

        Assert.True(BlobExchangeCodec.TryDecodeResponse([.. header, 1, 2, 3], out var response, out var length));

        Assert.Equal(header.Length, length);
        Assert.Equal("no } here {", response.IncomingBlob!.Error);
    }

    [Theory]
    [InlineData("{\"error\": \"nope\"}")]
    [InlineData("{\"available_blobs\": [], \"surprise\": 1}")]
    [InlineData("{\"incoming_blob\": {\"blob_hash\": \"H\"}}")]
    [InlineData("{\"incoming_blob\": {\"blob_hash\": \"H\", \"length\": 1.5}}")]
    [InlineData("{\"available_blobs\": \"H\"}")]
    [InlineData("[\"incoming_blob\"]")]
    [InlineData("{\"available_blobs\": [] ]")]
    public void Rejects_response_headers_that_are_not_the_protocol(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json.Replace("H", H, StringComparison.Ordinal));

        Assert.Throws<BlobExchangeFormatException>(() => BlobExchangeCodec.TryDecodeResponse(bytes, out _, out _));
    }

    [Fact]
    public void Gives_up_on_a_header_that_is_still_open_after_8_KiB()
    {
        var bytes = Encoding.UTF8.GetBytes("{\"lbrycrd_address\": \"" + new string('a', 9000));

        Assert.False(BlobExchangeCodec.TryDecodeResponse(bytes.AsSpan(0, 4000), out _, out _));
        Assert.Throws<BlobExchangeFormatException>(() => BlobExchangeCodec.TryDecodeResponse(bytes, out _, out _));
    }

    [Fact]
    public void Random_bytes_only_ever_raise_the_format_exception_on_either_side()
    {
        var property = Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), bytes =>
        {
            ParsesOrRaisesFormatException(bytes);
            return true;
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(2000), property);
    }

    [Fact]
    public void Mutated_valid_messages_only_ever_raise_the_format_exception_on_either_side()
    {
        var originals = new[] { Vector("request"), Vector("response_have_then_2097152_raw_bytes"), Vector("response_missing") };
        var mutations =
            from which in Gen.Choose(0, originals.Length - 1)
            from position in Gen.Choose(0, 400)
            from value in Gen.Choose(0, 255)
            from cut in Gen.Choose(0, 400)
            select Mutate(originals[which], position, (byte)value, cut);

        var property = Prop.ForAll(mutations.ToArbitrary(), bytes =>
        {
            ParsesOrRaisesFormatException(bytes);
            return true;
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(3000), property);
    }

    private static byte[] Mutate(byte[] original, int position, byte value, int cut)
    {
        var copy = original.ToArray();
        copy[position % copy.Length] = value;
        return copy.AsSpan(0, Math.Max(1, copy.Length - cut % 20)).ToArray();
    }

    private static void ParsesOrRaisesFormatException(byte[] bytes)
    {
        try
        {
            BlobExchangeCodec.DecodeRequest(bytes);
        }
        catch (BlobExchangeFormatException)
        {
        }

        try
        {
            if (BlobExchangeCodec.TryDecodeResponse(bytes, out _, out var length))
            {
                Assert.InRange(length, 2, bytes.Length);
            }
        }
        catch (BlobExchangeFormatException)
        {
        }
    }
}
