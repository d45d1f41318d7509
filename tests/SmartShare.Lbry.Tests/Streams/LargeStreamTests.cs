using SmartShare.Lbry.Streams;
using SmartShare.Lbry.Tests.Support;

namespace SmartShare.Lbry.Tests.Streams;

[Collection(IsolatedTests.Name)]
public sealed class LargeStreamTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly LbryStorage _storage;

    public LargeStreamTests()
    {
        _storage = LbryStorage.Open(_temp.Combine("data"));
    }

    [Fact]
    public async Task Rebuilds_a_one_gibibyte_file_with_constant_memory()
    {
        const long size = 1L << 30;
        var source = TestFiles.Write(_temp.Combine("large.bin"), size, seed: 1);
        var before = GC.GetTotalAllocatedBytes(precise: true);

        var created = await new StreamEncryptor(_storage, SecureRandomSource.Instance).CreateAsync(source);
        var decryptor = new StreamDecryptor(_storage);
        var path = await decryptor.SaveAsync(decryptor.ReadDescriptor(created.SdHash), _temp.Combine("out"));

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.Equal(513, created.Descriptor.DataBlobCount);
        Assert.Equal(TestFiles.Sha256(source), TestFiles.Sha256(path));

        // A handful of 2 MiB buffers per direction, not one per blob: far below the 1 GiB that went through.
        Assert.True(allocated < 64L * 1024 * 1024, $"Sharing and rebuilding 1 GiB allocated {allocated / (1024 * 1024)} MiB.");
    }

    public void Dispose() => _temp.Dispose();
}
