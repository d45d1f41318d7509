using Microsoft.Data.Sqlite;
using SmartShare.Lbry.Blobs;
using SmartShare.Node.Downloads;
using SmartShare.Node.Transfers;

namespace SmartShare.Node.Tests.Transfers;

/// <summary>Upload totals per transfer, kept in the transfers table so ratios survive a restart.</summary>
public sealed class UploadLedgerTests : IDisposable
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(1_780_000_000);
    private static readonly BlobHash SdHash = BlobHash.Parse(new string('a', 96));

    private readonly NodeTestDirectory _directory = new();

    [Fact]
    public void Uploads_counted_before_a_flush_are_there_after_the_database_is_opened_again()
    {
        var key = TransferKey.Of(SdHash);
        using (var first = Open())
        {
            first.Add(key, 2_000);
            first.Add(key, 500);
            Assert.Equal(2_500, first.Total(key));
            first.Flush();
            first.Add(key, 100);
        }

        // Disposing flushed the last 100 bytes too; a new node (a new ledger) reads every byte back.
        SqliteConnection.ClearAllPools();
        using var second = Open();
        Assert.Equal(2_600, second.Total(key));
        second.Add(key, 400);
        second.Flush();
        SqliteConnection.ClearAllPools();
        using var third = Open();
        Assert.Equal(3_000, third.Total(key));
    }

    [Fact]
    public void A_session_counter_adds_what_it_grew_by_and_a_new_session_counts_from_zero()
    {
        var key = TransferKey.Of(SdHash);
        using var ledger = Open();
        var session = new object();

        ledger.Observe(key, session, 1_000);
        ledger.Observe(key, session, 1_500);
        ledger.Observe(key, session, 1_500);
        Assert.Equal(1_500, ledger.Total(key));

        // Paused and resumed: the new session's counter starts again at 0.
        ledger.Observe(key, new object(), 200);
        Assert.Equal(1_700, ledger.Total(key));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _directory.Dispose();
    }

    private UploadLedger Open()
    {
        var database = TransferDatabase.Open(_directory.Path);
        new FileStore(database).Upsert(new FileRecord(SdHash, FileKind.Share, FileStatus.Completed, "/x", "/x/a.bin", "a.bin", null, [], T0, T0));
        return new UploadLedger(database);
    }
}
