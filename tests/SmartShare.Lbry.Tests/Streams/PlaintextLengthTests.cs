using System.Security.Cryptography;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Streams;

namespace SmartShare.Lbry.Tests.Streams;

/// <summary>
/// The length of a blob's plaintext from its last cipher block alone (what a player needs of a stream's last blob
/// before anything else) agrees with decrypting the whole blob, and a blob that does not decrypt is refused alike.
/// </summary>
public sealed class PlaintextLengthTests
{
    private static readonly byte[] Key = Convert.FromHexString("000102030405060708090a0b0c0d0e0f");
    private static readonly byte[] Iv = Convert.FromHexString("f0e0d0c0b0a090807060504030201000");

    public static TheoryData<int> Lengths() => new() { 0, 1, 15, 16, 17, 31, 32, 1000, StreamEncryptor.PlaintextPerBlob };

    [Theory]
    [MemberData(nameof(Lengths))]
    public void The_last_block_tells_the_same_length_as_decrypting_the_whole_blob(int length)
    {
        var plain = new byte[length];
        new Random(length).NextBytes(plain);
        var content = Encrypt(plain, PaddingMode.PKCS7);
        var blob = Info(content);

        var fromLastBlock = StreamDecryptor.PlaintextLength(Key, blob, content);
        var whole = StreamDecryptor.DecryptBlob(Key, blob, content.ToArray(), content.Length);

        Assert.Equal(length, fromLastBlock);
        Assert.Equal(whole, fromLastBlock);
    }

    [Fact]
    public void A_last_block_with_bad_padding_is_refused_as_decrypting_it_is()
    {
        // Encrypted without padding, the last plaintext byte 0 is no PKCS#7 padding at all.
        var plain = new byte[48];
        plain[10] = 7;
        var content = Encrypt(plain, PaddingMode.None);
        var blob = Info(content);

        Assert.Throws<LbryDataException>(() => StreamDecryptor.PlaintextLength(Key, blob, content));
        Assert.Throws<LbryDataException>(() => StreamDecryptor.DecryptBlob(Key, blob, content.ToArray(), content.Length));
    }

    [Fact]
    public void Content_of_another_length_than_the_descriptor_says_or_not_whole_blocks_is_refused()
    {
        var content = Encrypt(new byte[40], PaddingMode.PKCS7);
        var other = Info(content) with { Length = content.Length + 16 };

        Assert.Throws<CorruptBlobException>(() => StreamDecryptor.PlaintextLength(Key, other, content));
        var ragged = content[..^3];
        Assert.Throws<CorruptBlobException>(() => StreamDecryptor.PlaintextLength(Key, Info(ragged), ragged));
    }

    private static byte[] Encrypt(byte[] plain, PaddingMode padding)
    {
        using var aes = Aes.Create();
        aes.Key = Key;
        return aes.EncryptCbc(plain, Iv, padding);
    }

    private static StreamBlobInfo Info(byte[] content) =>
        new(0, content.Length, Convert.ToHexString(Iv).ToLowerInvariant(), BlobHash.Compute(content));
}
