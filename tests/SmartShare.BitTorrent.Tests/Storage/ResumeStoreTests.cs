using Microsoft.Data.Sqlite;
using SmartShare.BitTorrent.Storage;
using SmartShare.IO;

namespace SmartShare.BitTorrent.Tests.Storage;

public sealed class ResumeStoreTests : IDisposable
{
    private static readonly InfoHash First = InfoHash.Parse("0123456789abcdef0123456789abcdef01234567");
    private static readonly InfoHash Second = InfoHash.Parse("fedcba9876543210fedcba9876543210fedcba98");

    private readonly string _folder = Directory.CreateTempSubdirectory("smartshare-resume-").FullName;

    private string DatabasePath => Path.Combine(_folder, "node.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public void Saved_pieces_come_back_after_reopening_the_database()
    {
        var verified = Pieces(1000, 0, 7, 8, 500, 999);
        ResumeStore.Open(DatabasePath).Save(First, verified);
        SqliteConnection.ClearAllPools();

        var loaded = ResumeStore.Open(DatabasePath).Load(First, 1000);

        Assert.NotNull(loaded);
        Assert.Equal(verified.Bytes.ToArray(), loaded.Bytes.ToArray());
        Assert.Equal(5, loaded.Count);
        Assert.Equal([0, 7, 8, 500, 999], loaded.SetIndexes());
    }

    [Fact]
    public void File_stamps_come_back_with_the_pieces_and_can_be_dropped_alone()
    {
        var verified = Pieces(10, 1, 2);
        FileStamp[] stamps = [new(100, 638_000_000_000_000_000), FileStamp.Unknown, new(0, 0)];
        ResumeStore.Open(DatabasePath).Save(First, verified, stamps);
        ResumeStore.Open(DatabasePath).Save(Second, verified);
        SqliteConnection.ClearAllPools();

        var store = ResumeStore.Open(DatabasePath);
        var record = store.LoadRecord(First, 10, 3);
        Assert.NotNull(record);
        Assert.Equal(stamps, record.Stamps);
        Assert.Equal([1, 2], record.Pieces.SetIndexes());
        Assert.Null(store.LoadRecord(First, 10, 2)!.Stamps); // stamps of another file count vouch for nothing
        Assert.Null(store.LoadRecord(Second, 10, 3)!.Stamps); // saved without stamps, as before schema v2

        store.ForgetStamps(First);
        Assert.Null(store.LoadRecord(First, 10, 3)!.Stamps);
        Assert.Equal(2, store.Load(First, 10)!.Count);
    }

    [Fact]
    public void Nothing_saved_or_another_piece_count_loads_as_null()
    {
        var store = ResumeStore.Open(DatabasePath);
        Assert.Null(store.Load(First, 10));

        store.Save(First, Pieces(10, 1, 2));
        Assert.Null(store.Load(First, 11));
        Assert.Null(store.Load(First, 9));
        Assert.Null(store.Load(Second, 10));
        Assert.NotNull(store.Load(First, 10));
    }

    [Fact]
    public void Saving_again_replaces_and_delete_forgets_only_that_torrent()
    {
        var store = ResumeStore.Open(DatabasePath);
        store.Save(First, Pieces(20, 1));
        store.Save(Second, Pieces(3, 2));
        store.Save(First, Pieces(20, 4, 19));

        Assert.Equal([4, 19], store.Load(First, 20)!.SetIndexes());

        store.Delete(First);
        Assert.Null(store.Load(First, 20));
        Assert.Equal([2], store.Load(Second, 3)!.SetIndexes());
        store.Delete(First);
    }

    [Fact]
    public void An_empty_and_a_complete_bitfield_round_trip()
    {
        var store = ResumeStore.Open(DatabasePath);
        var all = new Bitfield(13);
        all.SetAll();
        store.Save(First, all);
        store.Save(Second, new Bitfield(13));

        Assert.True(store.Load(First, 13)!.IsComplete);
        Assert.True(store.Load(Second, 13)!.IsEmpty);
    }

    private static Bitfield Pieces(int length, params int[] set)
    {
        var bitfield = new Bitfield(length);
        foreach (var index in set)
        {
            bitfield[index] = true;
        }

        return bitfield;
    }
}
