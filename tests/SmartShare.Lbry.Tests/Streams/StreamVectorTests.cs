using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Streams;
using SmartShare.Lbry.Tests.Support;

namespace SmartShare.Lbry.Tests.Streams;

/// <summary>Streams made here must be byte-identical to the ones lbry-sdk made from the same key and IVs.</summary>
public sealed class StreamVectorTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public static TheoryData<int> StreamVectorIndexes() => new() { 0, 1 };

    [Theory]
    [MemberData(nameof(StreamVectorIndexes))]
    public async Task Encryptor_reproduces_lbry_sdk_blobs_descriptor_and_sd_hash(int index)
    {
        var vector = Vectors.Load("streams.json")[index];
        var source = WriteVectorContent(vector);
        var storage = LbryStorage.Open(_temp.Combine("data"));
        var encryptor = new StreamEncryptor(storage, new SequentialIvSource());

        var result = await encryptor.CreateAsync(source, key: Convert.FromHexString(vector.GetProperty("key").GetString()!));

        Assert.Equal(vector.GetProperty("sd_blob").GetString(), Encoding.ASCII.GetString(storage.Blobs.ReadAllVerified(result.SdHash)));
        Assert.Equal(vector.GetProperty("sd_hash").GetString(), result.SdHash.ToString());
        Assert.Equal(vector.GetProperty("stream_hash").GetString(), result.Descriptor.StreamHash);
        var blobs = vector.GetProperty("blobs");
        Assert.Equal(blobs.GetArrayLength(), result.Descriptor.DataBlobCount);
        foreach (var expected in blobs.EnumerateArray())
        {
            var hash = BlobHash.Parse(expected.GetProperty("blob_hash").GetString()!);
            var content = storage.Blobs.ReadAllVerified(hash);
            Assert.Equal(expected.GetProperty("length").GetInt32(), content.Length);
            Assert.Equal(expected.GetProperty("first16").GetString(), Convert.ToHexStringLower(content.AsSpan(0, 16)));
            Assert.Equal(expected.GetProperty("last16").GetString(), Convert.ToHexStringLower(content.AsSpan(content.Length - 16)));
            if (expected.TryGetProperty("ciphertext_hex", out var ciphertext))
            {
                Assert.Equal(ciphertext.GetString(), Convert.ToHexStringLower(content));
            }
        }
    }

    [Theory]
    [MemberData(nameof(StreamVectorIndexes))]
    public void Old_sort_serialization_reproduces_lbry_sdk_bytes(int index)
    {
        var vector = Vectors.Load("streams.json")[index];
        var descriptor = StreamDescriptorCodec.Parse(Encoding.ASCII.GetBytes(vector.GetProperty("sd_blob").GetString()!));

        var oldSort = StreamDescriptorCodec.SerializeOldSort(descriptor);

        Assert.Equal(vector.GetProperty("old_sort_sd_blob").GetString(), Encoding.ASCII.GetString(oldSort));
        Assert.Equal(vector.GetProperty("old_sort_sd_hash").GetString(), Convert.ToHexStringLower(SHA384.HashData(oldSort)));
    }

    [Theory]
    [MemberData(nameof(StreamVectorIndexes))]
    public void Old_sort_sd_blob_parses_to_the_same_stream(int index)
    {
        var vector = Vectors.Load("streams.json")[index];

        var descriptor = StreamDescriptorCodec.Parse(Encoding.ASCII.GetBytes(vector.GetProperty("old_sort_sd_blob").GetString()!));

        Assert.Equal(vector.GetProperty("stream_hash").GetString(), descriptor.StreamHash);
        Assert.Equal(vector.GetProperty("sd_blob").GetString(), Encoding.ASCII.GetString(StreamDescriptorCodec.Serialize(descriptor)));
    }

    [Theory]
    [MemberData(nameof(StreamVectorIndexes))]
    public async Task Decryptor_rebuilds_the_vector_content(int index)
    {
        var vector = Vectors.Load("streams.json")[index];
        var source = WriteVectorContent(vector);
        var storage = LbryStorage.Open(_temp.Combine("data"));
        var created = await new StreamEncryptor(storage, new SequentialIvSource())
            .CreateAsync(source, key: Convert.FromHexString(vector.GetProperty("key").GetString()!));
        var decryptor = new StreamDecryptor(storage);

        var path = await decryptor.SaveAsync(decryptor.ReadDescriptor(created.SdHash), _temp.Combine("out"));

        Assert.Equal(vector.GetProperty("file_name").GetString(), Path.GetFileName(path));
        Assert.Equal(vector.GetProperty("plaintext_sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))));
    }

    public void Dispose() => _temp.Dispose();

    private string WriteVectorContent(JsonElement vector)
    {
        var name = vector.GetProperty("file_name").GetString()!;
        var length = vector.GetProperty("plaintext_length").GetInt32();
        var content = name == "hello.txt" ? Encoding.ASCII.GetBytes("hello lbry\n") : Vectors.Mod251(length);
        Assert.Equal(length, content.Length);
        Directory.CreateDirectory(_temp.Combine("src"));
        var path = _temp.Combine("src", name);
        File.WriteAllBytes(path, content);
        return path;
    }
}
