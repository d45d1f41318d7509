using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Streams;
using SmartShare.Lbry.Tests.Support;
using SmartShare.Tests.Shared;

namespace SmartShare.Lbry.Tests.Streams;

public sealed class StreamRoundTripTests : IDisposable
{
    private const int Payload = StreamEncryptor.PlaintextPerBlob;

    private readonly TempDirectory _temp = new();
    private readonly LbryStorage _storage;

    public StreamRoundTripTests()
    {
        _storage = LbryStorage.Open(_temp.Combine("data"));
    }

    public static TheoryData<long, int> Sizes() => new()
    {
        { 1, 1 },
        { 15, 1 },
        { 16, 1 },
        { Payload, 1 },
        { Payload + 1, 2 },
        { (5L * Payload) + 12345, 6 },
    };

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task Rebuilds_an_identical_file(long size, int expectedBlobs)
    {
        var source = TestFiles.Write(_temp.Combine($"source-{size}.bin"), size, seed: (int)size);

        var created = await new StreamEncryptor(_storage, SecureRandomSource.Instance).CreateAsync(source);
        var decryptor = new StreamDecryptor(_storage);
        var path = await decryptor.SaveAsync(decryptor.ReadDescriptor(created.SdHash), _temp.Combine("out"));

        Assert.Equal(expectedBlobs, created.Descriptor.DataBlobCount);
        Assert.Equal(size, created.Size);
        Assert.Equal(TestFiles.Sha256(source), TestFiles.Sha256(path));
        Assert.All(created.Descriptor.DataBlobs.SkipLast(1), blob => Assert.Equal(BlobStore.MaxBlobSize, blob.Length));
        Assert.Equal(Path.GetFileName(source), Path.GetFileName(path));
    }

    [Fact]
    public async Task Streams_of_the_same_file_differ_by_key_and_both_rebuild()
    {
        var source = TestFiles.Write(_temp.Combine("same.bin"), 100_000, seed: 3);
        var encryptor = new StreamEncryptor(_storage, SecureRandomSource.Instance);

        var first = await encryptor.CreateAsync(source);
        var second = await encryptor.CreateAsync(source);

        Assert.NotEqual(first.SdHash, second.SdHash);
        var decryptor = new StreamDecryptor(_storage);
        foreach (var created in new[] { first, second })
        {
            var path = await decryptor.SaveAsync(decryptor.ReadDescriptor(created.SdHash), _temp.Combine("out"));
            Assert.Equal(TestFiles.Sha256(source), TestFiles.Sha256(path));
        }
    }

    [Fact]
    public async Task A_name_clash_gets_a_numbered_name_and_never_overwrites()
    {
        var source = TestFiles.Write(_temp.Combine("clip.mp4"), 5000, seed: 4);
        var created = await new StreamEncryptor(_storage, SecureRandomSource.Instance).CreateAsync(source);
        var output = Directory.CreateDirectory(_temp.Combine("out")).FullName;
        File.WriteAllText(Path.Combine(output, "clip.mp4"), "mine");
        File.WriteAllText(Path.Combine(output, "clip_1.mp4"), "mine too");
        var decryptor = new StreamDecryptor(_storage);

        var path = await decryptor.SaveAsync(decryptor.ReadDescriptor(created.SdHash), output);

        Assert.Equal(Path.Combine(output, "clip_2.mp4"), path);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(output, "clip.mp4")));
        Assert.Equal("mine too", File.ReadAllText(Path.Combine(output, "clip_1.mp4")));
        Assert.Equal(TestFiles.Sha256(source), TestFiles.Sha256(path));
    }

    [Fact]
    public async Task A_missing_blob_is_refused_before_any_file_is_created()
    {
        var source = TestFiles.Write(_temp.Combine("three.bin"), (2L * Payload) + 10, seed: 5);
        var created = await new StreamEncryptor(_storage, SecureRandomSource.Instance).CreateAsync(source);
        var missing = created.Descriptor.DataBlobHash(1);
        File.Delete(_storage.Blobs.PathOf(missing));
        var decryptor = new StreamDecryptor(_storage);

        var error = await Assert.ThrowsAsync<BlobNotFoundException>(
            () => decryptor.SaveAsync(decryptor.ReadDescriptor(created.SdHash), _temp.Combine("out")));

        Assert.Equal(missing, error.Hash);
        Assert.Contains(missing.ToString(), error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_temp.Combine("out")) && Directory.EnumerateFileSystemEntries(_temp.Combine("out")).Any());
    }

    [Fact]
    public async Task A_damaged_blob_is_refused_and_leaves_nothing_in_the_download_folder()
    {
        var source = TestFiles.Write(_temp.Combine("three.bin"), (2L * Payload) + 10, seed: 6);
        var created = await new StreamEncryptor(_storage, SecureRandomSource.Instance).CreateAsync(source);
        var damaged = created.Descriptor.DataBlobHash(2);
        using (var file = new FileStream(_storage.Blobs.PathOf(damaged), FileMode.Open, FileAccess.ReadWrite))
        {
            // Flip the byte: setting it to a fixed value leaves it unchanged one time in 256.
            file.Position = 5;
            var original = (byte)file.ReadByte();
            file.Position = 5;
            file.WriteByte((byte)(original ^ 0xFF));
        }

        var decryptor = new StreamDecryptor(_storage);
        var output = _temp.Combine("out");

        var error = await Assert.ThrowsAsync<CorruptBlobException>(
            () => decryptor.SaveAsync(decryptor.ReadDescriptor(created.SdHash), output));

        Assert.Equal(damaged, error.Hash);
        Assert.Empty(Directory.EnumerateFileSystemEntries(output));
    }

    [Fact]
    public async Task A_missing_descriptor_names_the_stream()
    {
        var unknown = BlobHash.Compute([1, 2, 3]);

        var error = Assert.Throws<BlobNotFoundException>(() => new StreamDecryptor(_storage).ReadDescriptor(unknown));

        Assert.Contains(unknown.ToString(), error.Message, StringComparison.Ordinal);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task An_empty_file_is_refused_with_a_clear_sentence_and_stores_nothing()
    {
        var empty = _temp.Combine("empty.txt");
        File.WriteAllBytes(empty, []);

        var error = await Assert.ThrowsAsync<StreamSourceException>(
            () => new StreamEncryptor(_storage, SecureRandomSource.Instance).CreateAsync(empty));

        Assert.Contains("empty", error.Message, StringComparison.Ordinal);
        Assert.Contains("lbry-sdk", error.Message, StringComparison.Ordinal);
        Assert.Empty(_storage.Blobs.List());
    }

    [Fact]
    public async Task A_file_that_does_not_exist_is_refused_with_its_path()
    {
        var nowhere = _temp.Combine("nowhere.bin");

        var error = await Assert.ThrowsAsync<StreamSourceException>(
            () => new StreamEncryptor(_storage, SecureRandomSource.Instance).CreateAsync(nowhere));

        Assert.Contains(nowhere, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_folder_is_refused()
    {
        var error = await Assert.ThrowsAsync<StreamSourceException>(
            () => new StreamEncryptor(_storage, SecureRandomSource.Instance).CreateAsync(_temp.Path));

        Assert.Contains("folder", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fifo")]
    [InlineData("dev-zero")]
    [InlineData("proc-environ")]
    [InlineData("link-to-dev-zero")]
    [InlineData("socket")]
    public async Task A_path_that_is_not_a_regular_file_is_refused_at_once_naming_it_and_stores_nothing(string kind)
    {
        using var files = new HostileFiles();
        var path = kind switch
        {
            "fifo" => files.Fifo,
            "dev-zero" => HostileFiles.DevZero,
            "proc-environ" => HostileFiles.ProcEnviron,
            "link-to-dev-zero" => files.ZeroTorrentLink,
            _ => files.SocketFile,
        };

        var error = await Assert.ThrowsAsync<StreamSourceException>(
            () => new StreamEncryptor(_storage, SecureRandomSource.Instance).CreateAsync(path)).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Contains($"\"{path}\" is ", error.Message, StringComparison.Ordinal);
        Assert.Empty(_storage.Blobs.List());
    }

    [Fact]
    public async Task A_file_changed_while_being_shared_is_refused_and_its_blobs_removed()
    {
        var source = TestFiles.Write(_temp.Combine("growing.log"), (3L * Payload) + 7, seed: 7);
        var random = new AppendingRandomSource(source, appendAtDraw: 3);

        var error = await Assert.ThrowsAsync<StreamSourceException>(
            () => new StreamEncryptor(_storage, random).CreateAsync(source));

        Assert.Contains("changed while it was being shared", error.Message, StringComparison.Ordinal);
        Assert.Empty(_storage.Blobs.List());
        Assert.Empty(Directory.EnumerateFiles(_storage.Blobs.Directory));
        Assert.Empty(_storage.Streams.List());
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    public async Task A_file_truncated_while_being_shared_is_refused_and_leaves_no_blobs(int truncateAtDraw)
    {
        var source = TestFiles.Write(_temp.Combine("shrinking.bin"), (6L * Payload) + 7, seed: 9);
        var random = new TruncatingRandomSource(source, truncateAtDraw, keep: Payload + 100);

        var error = await Assert.ThrowsAsync<StreamSourceException>(
            () => new StreamEncryptor(_storage, random).CreateAsync(source));

        Assert.Contains("shorter", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(_storage.Blobs.Directory));
        Assert.Empty(_storage.Blobs.List());
    }

    [Fact]
    public async Task A_shared_stream_is_recorded_with_its_source()
    {
        var source = TestFiles.Write(_temp.Combine("recorded.bin"), 123_456, seed: 8);

        var created = await new StreamEncryptor(_storage, SecureRandomSource.Instance).CreateAsync(source);

        var record = Assert.Single(_storage.Streams.List());
        Assert.Equal(created.SdHash, record.SdHash);
        Assert.Equal(source, record.SourcePath);
        Assert.Equal(created.Descriptor.StreamHash, record.StreamHash);
        Assert.Equal(created.Descriptor.DataBlobCount, record.BlobCount);
        Assert.Equal("recorded.bin", record.StreamName);
    }

    public void Dispose() => _temp.Dispose();

    /// <summary>Cuts the file being shared short when the encryptor draws its n-th random value.</summary>
    private sealed class TruncatingRandomSource(string path, int truncateAtDraw, long keep) : IRandomSource
    {
        private int _draws;

        public void Fill(Span<byte> destination)
        {
            SecureRandomSource.Instance.Fill(destination);
            if (++_draws == truncateAtDraw)
            {
                using var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
                file.SetLength(keep);
            }
        }
    }

    /// <summary>Appends to the file being shared when the encryptor draws its n-th random value (an IV).</summary>
    private sealed class AppendingRandomSource(string path, int appendAtDraw) : IRandomSource
    {
        private int _draws;

        public void Fill(Span<byte> destination)
        {
            SecureRandomSource.Instance.Fill(destination);
            if (++_draws == appendAtDraw)
            {
                File.AppendAllText(path, "one more line\n");
            }
        }
    }
}
