using BenchmarkDotNet.Attributes;
using SmartShare.BitTorrent.PeerWire.Encryption;

namespace SmartShare.Bench;

/// <summary>
/// MSE's RC4 on one core, as a peer connection uses it: the bare cipher over a 16 KiB block in place, and an
/// <see cref="Rc4Stream"/> writing 64 16 KiB blocks (1 MiB) into a null stream (encrypting into its pooled buffer)
/// and reading them back from a memory stream (decrypting in place). Compare the MB/s column with
/// <c>openssl speed -evp rc4</c> at 16 KiB blocks.
/// </summary>
[Config(typeof(ThroughputConfig))]
[MemoryDiagnoser]
public class Rc4StreamBenchmarks
{
    private const int BlockLength = 16 * 1024;
    private const int Blocks = 64;

    private readonly byte[] _block = new byte[BlockLength];
    private readonly byte[] _ciphertext = new byte[BlockLength * Blocks];
    private readonly Rc4 _cipher = Rc4.ForMse("benchmark key, 20 b"u8);
    private readonly Rc4 _encryptor = Rc4.ForMse("encrypt"u8);

    [GlobalSetup]
    public void Setup()
    {
        new Random(16_384).NextBytes(_block);
        new Random(1).NextBytes(_ciphertext);
    }

    /// <summary>The bare keystream XOR over one block, in place.</summary>
    [Benchmark(Baseline = true)]
    [BytesPerOperation(BlockLength)]
    public void TransformBlockInPlace() => _cipher.Transform(_block);

    /// <summary>64 writes of a 16 KiB block through the stream: encrypt into the pooled buffer, hand it on.</summary>
    [Benchmark]
    [BytesPerOperation(BlockLength * Blocks)]
    public async Task WriteBlocks()
    {
        await using var writer = new Rc4Stream(Stream.Null, _cipher, _encryptor);
        for (var i = 0; i < Blocks; i++)
        {
            await writer.WriteAsync(_block);
        }
    }

    /// <summary>64 reads of a 16 KiB block through the stream, decrypted in place.</summary>
    [Benchmark]
    [BytesPerOperation(BlockLength * Blocks)]
    public async Task<int> ReadBlocks()
    {
        await using var reader = new Rc4Stream(new MemoryStream(_ciphertext, writable: false), _cipher, _cipher);
        var total = 0;
        for (var i = 0; i < Blocks; i++)
        {
            total += await reader.ReadAsync(_block);
        }

        return total;
    }
}
