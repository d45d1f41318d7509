using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Tests.Support;

namespace SmartShare.Lbry.Tests.Blobs;

public sealed class BlobBatchTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly BlobStore _store;

    public BlobBatchTests()
    {
        _store = LbryStorage.Open(_temp.Combine("data")).Blobs;
    }

    [Fact]
    public void Staged_blobs_get_no_final_name_until_commit()
    {
        using var batch = _store.BeginBatch();
        var (hash, added) = batch.Add([1, 2, 3]);

        Assert.True(added);
        Assert.False(_store.Contains(hash));
        Assert.Empty(_store.List());

        batch.Commit();

        Assert.True(_store.Contains(hash));
        Assert.Equal([new StoredBlob(hash, 3)], _store.List());
        Assert.Equal([hash.ToString()], Directory.EnumerateFiles(_store.Directory).Select(Path.GetFileName));
    }

    [Fact]
    public void Disposing_an_uncommitted_batch_leaves_nothing_behind()
    {
        using (var batch = _store.BeginBatch())
        {
            batch.Add([1, 2, 3]);
            batch.Add([4, 5, 6]);
        }

        Assert.Empty(Directory.EnumerateFileSystemEntries(_store.Directory));
        Assert.Empty(_store.List());
    }

    [Fact]
    public void The_same_content_staged_twice_is_one_blob()
    {
        using var batch = _store.BeginBatch();

        var first = batch.Add([7, 7, 7]);
        var second = batch.Add([7, 7, 7]);
        batch.Commit();

        Assert.True(first.Added);
        Assert.False(second.Added);
        Assert.Single(_store.List());
    }

    [Fact]
    public void Content_already_in_the_store_is_not_written_again()
    {
        var (hash, _) = _store.Add([1, 2, 3]);
        var written = File.GetLastWriteTimeUtc(_store.PathOf(hash));
        using var batch = _store.BeginBatch();

        var (_, added) = batch.Add([1, 2, 3]);
        batch.Commit();

        Assert.False(added);
        Assert.Equal(written, File.GetLastWriteTimeUtc(_store.PathOf(hash)));
    }

    [Fact]
    public void Many_threads_can_stage_into_one_batch()
    {
        using var batch = _store.BeginBatch();

        Parallel.For(0, 64, i => batch.Add(BitConverter.GetBytes(i)));
        batch.Commit();

        Assert.Equal(64, _store.List().Count);
        Assert.Equal(64, Directory.EnumerateFiles(_store.Directory).Count());
    }

    [Fact]
    public void A_committed_batch_takes_no_more_blobs()
    {
        using var batch = _store.BeginBatch();
        batch.Commit();

        Assert.Throws<ObjectDisposedException>(() => batch.Add([1]));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _temp.Dispose();
    }
}
