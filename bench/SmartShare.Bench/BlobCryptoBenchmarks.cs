using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Streams;

namespace SmartShare.Bench;

/// <summary>
/// The per-blob work of sharing and downloading a stream, on one core: AES-128-CBC with PKCS#7 over one full
/// 2,097,151-byte chunk (which pads to a 2 MiB blob) and SHA-384 of the 2 MiB blob. Compare the MB/s column
/// with <c>openssl speed -evp aes-128-cbc</c> and <c>openssl speed -evp sha384</c> at 16 KiB blocks.
/// </summary>
[Config(typeof(ThroughputConfig))]
[MemoryDiagnoser]
public class BlobCryptoBenchmarks
{
    private const int PlainLength = StreamEncryptor.PlaintextPerBlob;
    private const int BlobLength = BlobStore.MaxBlobSize;

    private readonly byte[] _key = new byte[StreamEncryptor.KeySize];
    private readonly byte[] _iv = new byte[StreamEncryptor.IvSize];
    private readonly byte[] _buffer = new byte[BlobLength];
    private readonly byte[] _cipher = new byte[BlobLength];
    private readonly byte[] _plain = new byte[BlobLength];
    private readonly byte[] _digest = new byte[BlobHash.Size];
    private Aes? _aes;

    private Aes Cipher => _aes ?? throw new InvalidOperationException("GlobalSetup has not run.");

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(20_971_51);
        random.NextBytes(_key);
        random.NextBytes(_iv);
        random.NextBytes(_buffer);
        _aes = Aes.Create();
        _aes.Key = _key;
        var written = _aes.EncryptCbc(_buffer.AsSpan(0, PlainLength), _iv, _cipher, PaddingMode.PKCS7);
        if (written != BlobLength)
        {
            throw new InvalidOperationException($"A full chunk encrypted to {written} bytes, not {BlobLength}.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _aes?.Dispose();
        _aes = null;
    }

    /// <summary>Encrypts a chunk in place with a reused <see cref="Aes"/>, the cheapest way .NET offers.</summary>
    [Benchmark(Baseline = true)]
    [BytesPerOperation(PlainLength)]
    public int EncryptChunkInPlace() =>
        Cipher.EncryptCbc(_buffer.AsSpan(0, PlainLength), _iv, _buffer, PaddingMode.PKCS7);

    /// <summary>As <see cref="StreamEncryptor"/> does it: a new <see cref="Aes"/> and key schedule per chunk.</summary>
    [Benchmark]
    [BytesPerOperation(PlainLength)]
    public int EncryptChunkInPlaceNewAes()
    {
        using var aes = Aes.Create();
        aes.Key = _key;
        return aes.EncryptCbc(_buffer.AsSpan(0, PlainLength), _iv, _buffer, PaddingMode.PKCS7);
    }

    [Benchmark]
    [BytesPerOperation(BlobLength)]
    public int HashBlob() => SHA384.HashData(_cipher, _digest);

    /// <summary>What one core does per blob while sharing (file read and blob write left out).</summary>
    [Benchmark]
    [BytesPerOperation(PlainLength)]
    public int EncryptThenHash()
    {
        var written = Cipher.EncryptCbc(_buffer.AsSpan(0, PlainLength), _iv, _buffer, PaddingMode.PKCS7);
        return SHA384.HashData(_buffer.AsSpan(0, written), _digest);
    }

    [Benchmark]
    [BytesPerOperation(BlobLength)]
    public int DecryptBlob() => Cipher.DecryptCbc(_cipher, _iv, _plain, PaddingMode.PKCS7);
}
