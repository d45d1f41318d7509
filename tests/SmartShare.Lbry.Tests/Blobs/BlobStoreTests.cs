using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Tests.Support;

namespace SmartShare.Lbry.Tests.Blobs;

public sealed class BlobStoreTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private string DataDirectory => _temp.Combine("data");

    [Fact]
    public void Stores_content_under_its_sha384_and_reads_it_back_verified()
    {
        var store = LbryStorage.Open(DataDirectory).Blobs;
        var content = Enumerable.Range(0, 5000).Select(i => (byte)i).ToArray();

        var (hash, added) = store.Add(content);

        Assert.True(added);
        Assert.Equal(BlobHash.Compute(content), hash);
        Assert.Equal(Path.Combine(DataDirectory, "blobs", hash.ToString()), store.PathOf(hash));
        Assert.Equal(content, store.ReadAllVerified(hash));
        Assert.Equal([new StoredBlob(hash, 5000)], store.List());
        Assert.Equal([hash.ToString()], Directory.EnumerateFiles(store.Directory).Select(Path.GetFileName));
    }

    [Fact]
    public void Adding_the_same_content_twice_keeps_one_blob()
    {
        var store = LbryStorage.Open(DataDirectory).Blobs;

        store.Add([1, 2, 3]);
        var (_, addedAgain) = store.Add([1, 2, 3]);

        Assert.False(addedAgain);
        Assert.Single(store.List());
    }

    [Fact]
    public void Refuses_content_that_does_not_match_the_expected_hash_and_stores_nothing()
    {
        var store = LbryStorage.Open(DataDirectory).Blobs;
        var expected = BlobHash.Compute([1, 2, 3]);

        var error = Assert.Throws<CorruptBlobException>(() => store.AddVerified(expected, [1, 2, 4]));

        Assert.Equal(expected, error.Hash);
        Assert.Empty(Directory.EnumerateFileSystemEntries(store.Directory));
        Assert.Empty(store.List());
    }

    [Fact]
    public void Refuses_content_over_the_blob_limit()
    {
        var store = LbryStorage.Open(DataDirectory).Blobs;
        var content = new byte[BlobStore.MaxBlobSize + 1];

        Assert.Throws<CorruptBlobException>(() => store.AddVerified(BlobHash.Compute(content), content));
        Assert.Empty(Directory.EnumerateFileSystemEntries(store.Directory));
    }

    [Fact]
    public void A_valid_blob_file_dropped_into_the_folder_is_adopted_at_start_up()
    {
        LbryStorage.Open(DataDirectory);
        var content = new byte[] { 9, 8, 7 };
        var hash = BlobHash.Compute(content);
        File.WriteAllBytes(Path.Combine(DataDirectory, "blobs", hash.ToString()), content);

        var storage = LbryStorage.Open(DataDirectory);

        Assert.Equal([hash], storage.StartupReport.Added);
        Assert.Equal([new StoredBlob(hash, 3)], storage.Blobs.List());
    }

    [Fact]
    public void A_missing_blob_file_is_forgotten_and_reported_at_start_up()
    {
        var store = LbryStorage.Open(DataDirectory).Blobs;
        var (hash, _) = store.Add([1, 2, 3]);
        File.Delete(store.PathOf(hash));

        var storage = LbryStorage.Open(DataDirectory);

        Assert.Equal([hash], storage.StartupReport.Missing);
        Assert.Empty(storage.Blobs.List());
    }

    [Fact]
    public void A_changed_blob_file_is_rehashed_at_start_up_and_deleted_when_damaged()
    {
        var store = LbryStorage.Open(DataDirectory).Blobs;
        var (hash, _) = store.Add([1, 2, 3]);
        File.WriteAllBytes(store.PathOf(hash), [1, 2, 3, 4]);

        var storage = LbryStorage.Open(DataDirectory);

        Assert.Equal([hash], storage.StartupReport.Corrupt);
        Assert.False(File.Exists(store.PathOf(hash)));
        Assert.Empty(storage.Blobs.List());
    }

    [Fact]
    public void Damage_that_keeps_size_and_time_is_found_by_a_full_verify()
    {
        var store = LbryStorage.Open(DataDirectory).Blobs;
        var (hash, _) = store.Add([1, 2, 3]);
        var path = store.PathOf(hash);
        var modified = File.GetLastWriteTimeUtc(path);
        File.WriteAllBytes(path, [1, 2, 4]);
        File.SetLastWriteTimeUtc(path, modified);

        var storage = LbryStorage.Open(DataDirectory);
        Assert.Empty(storage.StartupReport.Corrupt);
        var report = storage.Blobs.Reconcile(rehashAll: true, bytesHashed: null, CancellationToken.None);

        Assert.Equal([hash], report.Corrupt);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Unrelated_files_are_left_alone_and_old_temporary_files_are_cleaned()
    {
        var store = LbryStorage.Open(DataDirectory).Blobs;
        var unrelated = Path.Combine(store.Directory, "README");
        var oldTemp = Path.Combine(store.Directory, ".tmp-abc");
        var freshTemp = Path.Combine(store.Directory, ".tmp-def");
        File.WriteAllText(unrelated, "mine");
        File.WriteAllText(oldTemp, "left by a crash");
        File.WriteAllText(freshTemp, "being written by another process");
        File.SetLastWriteTimeUtc(oldTemp, DateTime.UtcNow.AddHours(-1));

        var storage = LbryStorage.Open(DataDirectory);

        Assert.Equal(1, storage.StartupReport.StaleTemporaryFilesRemoved);
        Assert.True(File.Exists(unrelated));
        Assert.False(File.Exists(oldTemp));
        Assert.True(File.Exists(freshTemp));
    }

    [Fact]
    public void Reading_a_blob_that_is_not_there_names_it()
    {
        var store = LbryStorage.Open(DataDirectory).Blobs;
        var hash = BlobHash.Compute([42]);

        var error = Assert.Throws<BlobNotFoundException>(() => store.ReadAllVerified(hash));

        Assert.Contains(hash.ToString(), error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("47F05D367B0C32E438FB63E6CF4A5F35C2AA2F90DC7543F8A41A0F95CE8A40A313AB5CF36134A2068C4C969CB50DB77")]
    [InlineData("zzf05d367b0c32e438fb63e6cf4a5f35c2aa2f90dc7543f8a41a0f95ce8a40a313ab5cf36134a2068c4c969cb50db776")]
    public void Hashes_that_are_not_96_hex_digits_are_refused_with_a_sentence(string text)
    {
        var error = Assert.Throws<FormatException>(() => BlobHash.Parse(text, "sd hash"));

        Assert.StartsWith("The sd hash", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Upper_case_and_surrounding_spaces_are_accepted_from_people()
    {
        var hash = BlobHash.Parse(" 47F05D367B0C32E438FB63E6CF4A5F35C2AA2F90DC7543F8A41A0F95CE8A40A313AB5CF36134A2068C4C969CB50DB776 ");

        Assert.Equal("47f05d367b0c32e438fb63e6cf4a5f35c2aa2f90dc7543f8a41a0f95ce8a40a313ab5cf36134a2068c4c969cb50db776", hash.ToString());
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _temp.Dispose();
    }
}
