using System.Net;
using SmartShare.Lbry.Blobs;
using SmartShare.Node.Downloads;

namespace SmartShare.Node.Tests.Downloads;

/// <summary>
/// The stream rows are read from SQLite once and then kept in memory as each write leaves them: the queue's round
/// lists them every 2 s, and so do the resumer and the announcer, so a listing must not read the table again.
/// </summary>
public sealed class FileStoreTests : IDisposable
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(1_780_000_000);

    private readonly NodeTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Listings_and_lookups_read_the_table_once_and_then_only_the_rows_written()
    {
        var store = FileStore.Open(_directory.Path);
        for (var i = 0; i < 5; i++)
        {
            store.Upsert(Record(Sd(i), T0.AddSeconds(-i)));
        }

        for (var round = 0; round < 10; round++)
        {
            Assert.Equal(5, store.List().Count);
            Assert.NotNull(store.Find(Sd(round % 5)));
            Assert.False(store.IsPrivate(Sd(round % 5)));
        }

        Assert.Equal(1, store.TableReads);

        // A row written elsewhere (a second store on the same folder, which a node never has) is not seen: the
        // listing came from memory, not from the table.
        FileStore.Open(_directory.Path).Upsert(Record(Sd(9), T0));
        Assert.Null(store.Find(Sd(9)));
        Assert.Equal(5, store.List().Count);
        Assert.Equal(1, store.TableReads);
    }

    [Fact]
    public void The_kept_rows_are_what_the_table_holds_after_each_write()
    {
        var store = FileStore.Open(_directory.Path);
        var peer = IPEndPoint.Parse("192.0.2.1:4444");
        store.Upsert(Record(Sd(1), T0) with { StreamName = "one.bin", Private = true });
        store.Upsert(Record(Sd(2), T0.AddSeconds(-5)));
        store.Upsert(Record(Sd(3), T0));
        var listedBefore = store.List();

        // An upsert of a known row keeps its name when none is given and its private flag once set (the table's rule).
        store.Upsert(Record(Sd(1), T0) with { Status = FileStatus.Completed, Peers = [peer], CompletedAt = T0.AddMinutes(1) });
        Assert.True(store.Delete(Sd(3)));
        Assert.False(store.Delete(Sd(3)));

        var kept = store.Find(Sd(1))!;
        Assert.Equal(("one.bin", true, FileStatus.Completed, T0.AddMinutes(1)), (kept.StreamName, kept.Private, kept.Status, kept.CompletedAt));
        Assert.Equal([peer], kept.Peers);
        Assert.True(store.IsPrivate(Sd(1)));
        Assert.Null(store.Find(Sd(3)));
        Assert.Equal(3, listedBefore.Count);

        // Oldest first, as the table orders them, and the same rows a store reading the table afresh finds.
        Assert.Equal([Sd(2), Sd(1)], store.List().Select(record => record.SdHash));
        var fresh = FileStore.Open(_directory.Path).List();
        Assert.Equal(fresh.Count, store.List().Count);
        Assert.All(fresh.Zip(store.List()), pair => Assert.Equal(Comparable(pair.First), Comparable(pair.Second)));
    }

    [Fact]
    public void Rows_written_before_the_store_opened_are_listed_oldest_first_then_by_hash()
    {
        var writer = FileStore.Open(_directory.Path);
        writer.Upsert(Record(Sd(7), T0));
        writer.Upsert(Record(Sd(5), T0));
        writer.Upsert(Record(Sd(6), T0.AddSeconds(-1)));

        var store = FileStore.Open(_directory.Path);

        Assert.Equal([Sd(6), Sd(5), Sd(7)], store.List().Select(record => record.SdHash));
    }

    private static FileRecord Record(BlobHash sdHash, DateTimeOffset added) =>
        new(sdHash, FileKind.Share, FileStatus.Downloading, "/data", "/data/file.bin", null, null, [], added, null);

    // Records hold their peers in a list, which a record compares by reference.
    private static string Comparable(FileRecord record) => (record with { Peers = [] }) + string.Join(",", record.Peers);

    private static BlobHash Sd(int n) => BlobHash.Parse(new string((char)('0' + n), 96));
}
