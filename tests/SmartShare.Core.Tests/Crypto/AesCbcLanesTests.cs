using System.Security.Cryptography;
using SmartShare.Crypto;

namespace SmartShare.Core.Tests.Crypto;

/// <summary>The lane-parallel AES-128-CBC against the framework's (OpenSSL's) AES, message by message.</summary>
public sealed class AesCbcLanesTests
{
    // Empty, around one block, around a blob's 2 MiB less one (LBRY's full data blob), and odd sizes between.
    private static readonly int[] Lengths = [0, 1, 15, 16, 17, 31, 32, 33, 4095, 4096, 100_000, 2 * 1024 * 1024 - 1, 2 * 1024 * 1024 - 16];

    public static TheoryData<int> Seeds => [.. Enumerable.Range(1, 12)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Each_lane_is_the_frameworks_CBC_of_its_message(int seed)
    {
        Assert.True(AesCbcLanes.IsSupported, "This processor has no AES instructions: the lanes are not used here.");
        var random = new Random(seed);
        var key = Bytes(random, 16);
        var count = 1 + (seed % AesCbcLanes.MaxLanes);
        var messages = Enumerable.Range(0, count).Select(_ => Bytes(random, Lengths[random.Next(Lengths.Length)])).ToArray();
        var ivs = Enumerable.Range(0, count).Select(_ => Bytes(random, 16)).ToArray();
        var inPlace = seed % 3 == 0;
        var lanes = new CbcLane[count];
        var buffers = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            buffers[i] = new byte[AesCbcLanes.PaddedLength(messages[i].Length) + 7];
            if (inPlace)
            {
                messages[i].CopyTo(buffers[i], 0);
                lanes[i] = new CbcLane(buffers[i].AsMemory(0, messages[i].Length), ivs[i], buffers[i]);
            }
            else
            {
                lanes[i] = new CbcLane(messages[i], ivs[i], buffers[i]);
            }
        }

        var lengths = new int[count];
        AesCbcLanes.EncryptPkcs7(key, lanes, lengths);

        using var aes = Aes.Create();
        aes.Key = key;
        for (var i = 0; i < count; i++)
        {
            var expected = aes.EncryptCbc(messages[i], ivs[i], PaddingMode.PKCS7);
            Assert.Equal(expected.Length, lengths[i]);
            Assert.True(expected.AsSpan().SequenceEqual(buffers[i].AsSpan(0, lengths[i])), $"Lane {i} of {count} ({messages[i].Length} bytes) differs.");
            Assert.All(buffers[i].AsSpan(lengths[i]).ToArray(), b => Assert.Equal(0, b));
        }
    }

    [Fact]
    public void Lanes_it_cannot_encrypt_are_refused()
    {
        Assert.True(AesCbcLanes.IsSupported, "This processor has no AES instructions: the lanes are not used here.");
        var key = new byte[16];
        var buffer = new byte[64];
        Assert.Throws<ArgumentException>(() => AesCbcLanes.Validate(new CbcLane(new byte[16], new byte[8], new byte[32])));
        Assert.Throws<ArgumentException>(() => AesCbcLanes.Validate(new CbcLane(new byte[16], new byte[16], new byte[16])));
        Assert.Throws<ArgumentException>(() => AesCbcLanes.Validate(new CbcLane(buffer.AsMemory(16, 16), new byte[16], buffer)));
        Assert.Throws<ArgumentOutOfRangeException>(() => AesCbcLanes.EncryptPkcs7(key, new CbcLane[5], new int[5]));
        Assert.Throws<ArgumentException>(() => AesCbcLanes.EncryptPkcs7(key, [new CbcLane(new byte[16], new byte[8], new byte[32])], new int[1]));
    }

    [Fact]
    public void A_key_the_lanes_do_not_take_is_encrypted_with_the_frameworks_AES()
    {
        var random = new Random(9);
        var key = Bytes(random, 24);
        var messages = new[] { Bytes(random, 100), Bytes(random, 16) };
        var iv = Bytes(random, 16);
        var outputs = messages.Select(message => new byte[AesCbcLanes.PaddedLength(message.Length)]).ToArray();
        var lengths = new int[messages.Length];
        AesCbcLanes.EncryptPkcs7(key, [.. messages.Select((message, i) => new CbcLane(message, iv, outputs[i]))], lengths);

        using var aes = Aes.Create();
        aes.Key = key;
        for (var i = 0; i < messages.Length; i++)
        {
            Assert.Equal(aes.EncryptCbc(messages[i], iv, PaddingMode.PKCS7), outputs[i]);
            Assert.Equal(outputs[i].Length, lengths[i]);
        }
    }

    private static byte[] Bytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
