using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Streams;
using SmartShare.Lbry.Tests.Support;

namespace SmartShare.Lbry.Tests.Streams;

/// <summary>
/// A stream's blobs rebuilt from its plain file with the descriptor's key and IVs are lbry-sdk's blobs, byte for byte;
/// a changed file yields no blob at all.
/// </summary>
public sealed class BlobReencryptorTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public static TheoryData<int> StreamVectorIndexes() => new() { 0, 1 };

    public void Dispose() => _temp.Dispose();

    [Theory]
    [MemberData(nameof(StreamVectorIndexes))]
    public void Reencrypting_the_reference_plaintext_reproduces_the_reference_blob_hashes(int index)
    {
        var vector = Vectors.Load("streams.json")[index];
        var descriptor = StreamDescriptorCodec.Parse(Encoding.ASCII.GetBytes(vector.GetProperty("sd_blob").GetString()!));
        var path = WriteContent(vector);
        var layout = PlainFileLayout.TryCreate(descriptor, new FileInfo(path).Length, out var reason);
        Assert.True(layout is not null, reason);

        using var handle = File.OpenHandle(path);
        var buffer = new byte[BlobStore.MaxBlobSize];
        var expected = vector.GetProperty("blobs").EnumerateArray().ToList();
        Assert.Equal(expected.Count, layout!.BlobCount);
        for (var i = 0; i < layout.BlobCount; i++)
        {
            var length = BlobReencryptor.TryEncrypt(handle, descriptor, layout, Convert.FromHexString(descriptor.Key), i, buffer);

            Assert.Equal(expected[i].GetProperty("length").GetInt32(), length);
            Assert.Equal(expected[i].GetProperty("blob_hash").GetString(), Convert.ToHexStringLower(SHA384.HashData(buffer.AsSpan(0, length))));
            Assert.Equal(expected[i].GetProperty("first16").GetString(), Convert.ToHexStringLower(buffer.AsSpan(0, 16)));
        }
    }

    [Fact]
    public void The_layout_puts_2_MiB_minus_1_plaintext_bytes_in_every_blob_but_the_last()
    {
        var vector = Vectors.Load("streams.json")[1];
        var descriptor = StreamDescriptorCodec.Parse(Encoding.ASCII.GetBytes(vector.GetProperty("sd_blob").GetString()!));

        var layout = PlainFileLayout.TryCreate(descriptor, 2_098_151, out _)!;

        Assert.Equal(0, layout.OffsetOf(0));
        Assert.Equal(2_097_151, layout.PlainLengthOf(0));
        Assert.Equal(2_097_151, layout.OffsetOf(1));
        Assert.Equal(1000, layout.PlainLengthOf(1));
    }

    [Theory]
    [InlineData(2_098_150 - 8)]
    [InlineData(2_098_151 + 16)]
    [InlineData(0)]
    public void A_file_whose_length_cannot_be_the_streams_has_no_layout(long length)
    {
        var vector = Vectors.Load("streams.json")[1];
        var descriptor = StreamDescriptorCodec.Parse(Encoding.ASCII.GetBytes(vector.GetProperty("sd_blob").GetString()!));

        Assert.Null(PlainFileLayout.TryCreate(descriptor, length, out var reason));
        Assert.Contains("does not fit", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_byte_changed_in_the_plain_file_yields_no_blob()
    {
        var vector = Vectors.Load("streams.json")[1];
        var descriptor = StreamDescriptorCodec.Parse(Encoding.ASCII.GetBytes(vector.GetProperty("sd_blob").GetString()!));
        var path = WriteContent(vector);
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = 2_097_151 + 10;
            var original = stream.ReadByte();
            stream.Position--;
            stream.WriteByte((byte)(original ^ 0xFF));
        }

        var layout = PlainFileLayout.TryCreate(descriptor, new FileInfo(path).Length, out _)!;
        using var handle = File.OpenHandle(path);
        var buffer = new byte[BlobStore.MaxBlobSize];
        var key = Convert.FromHexString(descriptor.Key);

        Assert.Equal(2_097_152, BlobReencryptor.TryEncrypt(handle, descriptor, layout, key, 0, buffer));
        Assert.Equal(-1, BlobReencryptor.TryEncrypt(handle, descriptor, layout, key, 1, buffer));
    }

    private string WriteContent(JsonElement vector)
    {
        var name = vector.GetProperty("file_name").GetString()!;
        var length = vector.GetProperty("plaintext_length").GetInt32();
        var content = name == "hello.txt" ? Encoding.ASCII.GetBytes("hello lbry\n") : Vectors.Mod251(length);
        var path = _temp.Combine(name);
        File.WriteAllBytes(path, content);
        return path;
    }
}
