using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using SmartShare.IO;
using SmartShare.Lbry.BlobExchange;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Tests.Support;
using SmartShare.Tests.Shared;

namespace SmartShare.Lbry.Tests.BlobExchange;

/// <summary>
/// When the blob server trusts a blob file without hashing it: while the file keeps the strict stamp (length,
/// modification and change time) the index recorded when the node wrote it, or hashed it at a start long enough after
/// its last change. Real files, a real database, a real server and client on loopback.
/// </summary>
public sealed class ServedBlobTrustTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Data => _temp.Combine("data");

    [Fact]
    public async Task A_blob_the_store_wrote_is_served_unhashed_from_its_first_serve_and_after_a_restart()
    {
        var store = LbryStorage.Open(Data).Blobs;
        var blobs = Enumerable.Range(1, 3).Select(seed => store.Add(RandomBytes(seed, 300_000)).Hash).ToList();
        Assert.All(blobs, blob => Assert.True(store.RecordedStamp(blob).IsStrict, "The store recorded no change time."));

        await ServeAllAsync(store, TimeProvider.System, blobs, expectHashed: 0);

        // A new run over the same folder and database: the index's stamps still vouch for the files.
        await ServeAllAsync(LbryStorage.Open(Data).Blobs, TimeProvider.System, blobs, expectHashed: 0);
    }

    [Fact]
    public async Task A_blob_edited_with_its_time_put_back_is_hashed_and_dropped_although_its_stamp_was_strict()
    {
        var store = LbryStorage.Open(Data).Blobs;
        var (blob, _) = store.Add(RandomBytes(7, 200_000));
        var path = store.PathOf(blob);
        var recorded = store.RecordedStamp(blob);
        Assert.True(recorded.IsStrict);

        // An edit in a later clock tick than the stamp, its modification time put back: only the change time moved.
        FileClock.WaitPast(recorded.ChangeUtcTicks);
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            file.Position = 1000;
            file.Write("changed behind the node's back"u8);
        }

        File.SetLastWriteTimeUtc(path, new DateTime(recorded.LastWriteUtcTicks, DateTimeKind.Utc));
        Assert.Equal(recorded.Length, new FileInfo(path).Length);

        await using var server = Start(store, TimeProvider.System);
        await using var connection = await new BlobExchangeClient().ConnectAsync(server.LocalEndPoint, CancellationToken.None);
        var refused = await Assert.ThrowsAsync<BlobExchangeException>(() => connection.DownloadAsync(blob, null, CancellationToken.None));
        Assert.Equal(BlobExchangeFailure.NotAvailable, refused.Failure);
        Assert.Equal(1, server.BlobFilesHashedOnServe);
        Assert.Equal(1, server.DamagedBlobsDropped);
        Assert.False(store.Contains(blob));
    }

    [Fact]
    public async Task A_row_without_a_change_time_is_hashed_at_its_first_serve_then_trusted_by_the_next_run()
    {
        var store = LbryStorage.Open(Data).Blobs;
        var blobs = Enumerable.Range(1, 2).Select(seed => store.Add(RandomBytes(seed, 100_000)).Hash).ToList();
        ForgetChangeTimes();
        Assert.All(blobs, blob => Assert.False(store.RecordedStamp(blob).IsStrict));

        // The server's clock a minute ahead of the files' times: the check's stamp is settled, so it is recorded.
        var later = new FakeTimeProvider(DateTimeOffset.UtcNow.AddMinutes(1));
        await ServeAllAsync(store, later, blobs, expectHashed: 2);
        Assert.All(blobs, blob => Assert.True(store.RecordedStamp(blob).IsStrict, "The check recorded no change time."));

        await ServeAllAsync(LbryStorage.Open(Data).Blobs, later, blobs, expectHashed: 0);
    }

    [Fact]
    public async Task A_check_that_began_right_after_a_change_is_not_trusted_beyond_its_run()
    {
        var store = LbryStorage.Open(Data).Blobs;
        var (blob, _) = store.Add(RandomBytes(3, 100_000));
        ForgetChangeTimes();

        // The server's clock at the files' time: a write in the same moment could have left the times as they were.
        await ServeAllAsync(store, TimeProvider.System, [blob], expectHashed: 1);
        Assert.False(store.RecordedStamp(blob).IsStrict);
        await ServeAllAsync(LbryStorage.Open(Data).Blobs, TimeProvider.System, [blob], expectHashed: 1);
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(0, 1)]
    public async Task A_blob_file_found_at_a_start_is_trusted_from_its_first_serve_only_when_it_had_settled(int minutesAhead, int expectHashed)
    {
        var content = RandomBytes(11, 150_000);
        var hash = BlobHash.Compute(content);
        Directory.CreateDirectory(Path.Combine(Data, LbryStorage.BlobFolderName));
        File.WriteAllBytes(Path.Combine(Data, LbryStorage.BlobFolderName, hash.ToString()), content);

        var time = new FakeTimeProvider(DateTimeOffset.UtcNow.AddMinutes(minutesAhead));
        var storage = LbryStorage.Open(Data, time: time);
        Assert.Equal([hash], storage.StartupReport.Added);
        Assert.Equal(minutesAhead > 0, storage.Blobs.RecordedStamp(hash).IsStrict);

        await ServeAllAsync(storage.Blobs, time, [hash], expectHashed);
    }

    private static async Task ServeAllAsync(BlobStore store, TimeProvider time, IReadOnlyList<BlobHash> blobs, int expectHashed)
    {
        await using var server = Start(store, time);
        await using var connection = await new BlobExchangeClient().ConnectAsync(server.LocalEndPoint, CancellationToken.None);
        foreach (var blob in blobs)
        {
            // Twice each: the second serve of a run never hashes.
            for (var round = 0; round < 2; round++)
            {
                using var received = await connection.DownloadAsync(blob, null, CancellationToken.None);
                Assert.Equal(blob, BlobHash.Compute(received.Content.Span));
            }
        }

        Assert.Equal(expectHashed, server.BlobFilesHashedOnServe);
        Assert.Equal(0, server.DamagedBlobsDropped);
    }

    private static BlobExchangeServer Start(BlobStore store, TimeProvider time)
    {
        var server = new BlobExchangeServer(store, new BlobExchangeServerOptions(), time);
        server.Start(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        return server;
    }

    // Rows as a store written before change times were kept has them.
    private void ForgetChangeTimes()
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(Data, LbryStorage.DatabaseFileName)};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE blobs SET changed_ticks = 0";
        command.ExecuteNonQuery();
    }

    private static byte[] RandomBytes(int seed, int length)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
