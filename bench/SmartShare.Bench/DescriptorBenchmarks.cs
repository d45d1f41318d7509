using BenchmarkDotNet.Attributes;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Streams;

namespace SmartShare.Bench;

/// <summary>
/// Writing, reading and hashing the descriptor of a 500-blob stream (about 1 GiB of content), built directly
/// rather than by encrypting a file.
/// </summary>
[MemoryDiagnoser]
public class DescriptorBenchmarks
{
    private const int DataBlobCount = 500;

    private StreamDescriptor? _descriptor;
    private byte[] _sdBlob = [];

    private StreamDescriptor Descriptor => _descriptor ?? throw new InvalidOperationException("GlobalSetup has not run.");

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(500);
        var bytes = new byte[64];
        var blobs = new StreamBlobInfo[DataBlobCount + 1];
        for (var i = 0; i < DataBlobCount; i++)
        {
            random.NextBytes(bytes);
            blobs[i] = new StreamBlobInfo(i, BlobStore.MaxBlobSize, RandomHex(random, StreamEncryptor.IvSize), BlobHash.Compute(bytes));
        }

        blobs[DataBlobCount] = new StreamBlobInfo(DataBlobCount, 0, RandomHex(random, StreamEncryptor.IvSize), null);
        const string name = "benchmark stream.bin";
        const string suggestedName = "benchmark stream.bin";
        var key = RandomHex(random, StreamEncryptor.KeySize);
        var streamHash = StreamDescriptorCodec.ComputeStreamHash(name, key, suggestedName, blobs);
        _descriptor = new StreamDescriptor(name, key, suggestedName, streamHash, blobs);
        _sdBlob = StreamDescriptorCodec.Serialize(_descriptor);

        var parsed = StreamDescriptorCodec.Parse(_sdBlob);
        if (parsed.StreamHash != streamHash || parsed.Blobs.Count != blobs.Length)
        {
            throw new InvalidOperationException("The benchmark descriptor does not survive a round trip.");
        }
    }

    [Benchmark]
    public byte[] Serialize() => StreamDescriptorCodec.Serialize(Descriptor);

    [Benchmark]
    public StreamDescriptor Parse() => StreamDescriptorCodec.Parse(_sdBlob);

    [Benchmark]
    public string ComputeStreamHash() =>
        StreamDescriptorCodec.ComputeStreamHash(Descriptor.StreamName, Descriptor.Key, Descriptor.SuggestedFileName, Descriptor.Blobs);

    private static string RandomHex(Random random, int byteCount)
    {
        var bytes = new byte[byteCount];
        random.NextBytes(bytes);
        return Convert.ToHexStringLower(bytes);
    }
}
