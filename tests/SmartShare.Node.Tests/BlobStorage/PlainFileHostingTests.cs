using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SmartShare.IO;
using SmartShare.Lbry;
using SmartShare.Lbry.BlobExchange;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Streams;
using SmartShare.Node.BlobStorage;
using SmartShare.Node.Settings;
using SmartShare.Node.Tests.Downloads;

namespace SmartShare.Node.Tests.BlobStorage;

/// <summary>
/// Streams held as their plain file, between two of our nodes over loopback: with its data blobs dropped a stream is
/// still downloaded byte-identical (each blob re-encrypted from the file and checked), a file altered on disk is never
/// served (the peer is told the blob is not available, the stream's view says why), and starting such a stream again
/// downloads its blobs again.
/// </summary>
public sealed class PlainFileHostingTests : IDisposable
{
    private const long FileLength = (2 * 2_097_151) + 700_000;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);
    private static readonly Dictionary<string, JsonNode?> DropBlobs = new() { [NodeSettingKeys.KeepStreamBlobs] = false };

    private readonly NodeTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_share_with_its_blobs_dropped_is_downloaded_byte_identical_by_another_node()
    {
        await using var seeder = await TransferNode.StartAsync("seeder", _directory.File("seeder"), extra: DropBlobs);
        await using var leecher = await TransferNode.StartAsync("leecher", _directory.File("leecher"));
        var source = TransferNode.WriteRandomFile(_directory.File("film.bin"), FileLength, seed: 41);
        var sdHash = await seeder.ShareAsync(source);
        var blobs = BlobsOf(seeder, sdHash);

        // No data blob was ever written: the share only hashed them and the node held the file before it answered.
        Assert.Equal([sdHash], BlobFolder(seeder));
        Assert.True(seeder.Host.Services.GetRequiredService<PlainFileStreams>().IsHeld(BlobHash.Parse(sdHash)));
        var listed = await BlobListAsync(seeder);
        Assert.Equal("pinned", listed[sdHash]["held"]!.GetValue<string>());
        Assert.All(blobs.Skip(1), blob => Assert.Equal("plain_file", listed[blob.ToString()]["held"]!.GetValue<string>()));
        Assert.All(blobs.Skip(1), blob => Assert.Equal(source, listed[blob.ToString()]["path"]!.GetValue<string>()));
        var storage = (await seeder.CallAsync("status"))!["blob_storage"]!;
        Assert.Equal(1, storage["plain_file_streams"]!.GetValue<int>());
        Assert.Equal(FileLength, storage["plain_file_bytes"]!.GetValue<long>());

        await leecher.CallAsync("get", new JsonObject { ["uri"] = sdHash, ["peers"] = new JsonArray(seeder.BlobEndPoint.ToString()) });
        var done = await leecher.WaitForStatusAsync(sdHash, "completed", Limit);

        Assert.Equal(TransferNode.Sha256(source), TransferNode.Sha256(done["download_path"]!.GetValue<string>()));
        Assert.True((await seeder.CallAsync("status"))!["blob_exchange"]!["blobs_served"]!.GetValue<long>() >= blobs.Count);
        Assert.Equal([sdHash], BlobFolder(seeder));

        // file_save, which writes a stream from local blobs, copies it from the plain file instead, checked blob by blob.
        var saved = await seeder.CallAsync("file_save", new JsonObject { ["uri"] = sdHash, ["download_directory"] = _directory.File("saved") });
        Assert.Equal(TransferNode.Sha256(source), TransferNode.Sha256(saved!["download_path"]!.GetValue<string>()));
        Assert.Equal([sdHash], BlobFolder(seeder));
    }

    [Fact]
    public async Task A_one_off_share_writes_no_data_blob_and_the_next_start_serves_it_from_the_file_without_a_whole_file_pass()
    {
        var root = _directory.File("seeder");
        var source = TransferNode.WriteRandomFile(_directory.File("film.bin"), FileLength, seed: 45);
        string sdHash;
        await using (var once = await TransferNode.StartAsync("one-off", root, extra: DropBlobs, transient: true))
        {
            sdHash = await once.ShareAsync(source);
            Assert.Equal([sdHash], BlobFolder(once));
        }

        await using var seeder = await TransferNode.StartAsync("seeder", root, extra: DropBlobs);
        await using var leecher = await TransferNode.StartAsync("leecher", _directory.File("leecher"));
        var storage = (await seeder.CallAsync("status"))!["blob_storage"]!;
        Assert.Equal(1, storage["plain_file_streams"]!.GetValue<int>());
        Assert.Equal(0, storage["plain_file_checks"]!.GetValue<long>());

        await leecher.CallAsync("get", new JsonObject { ["uri"] = sdHash, ["peers"] = new JsonArray(seeder.BlobEndPoint.ToString()) });
        var done = await leecher.WaitForStatusAsync(sdHash, "completed", Limit);
        Assert.Equal(TransferNode.Sha256(source), TransferNode.Sha256(done["download_path"]!.GetValue<string>()));
        Assert.Equal([sdHash], BlobFolder(seeder));
    }

    [Fact]
    public async Task A_share_held_as_its_plain_file_is_still_served_after_a_restart()
    {
        var root = _directory.File("seeder");
        var source = TransferNode.WriteRandomFile(_directory.File("film.bin"), FileLength, seed: 44);
        string sdHash;
        await using (var first = await TransferNode.StartAsync("seeder", root, extra: DropBlobs))
        {
            sdHash = await first.ShareAsync(source);
            var blobs = BlobsOf(first, sdHash);
            await WaitUntilAsync(() => blobs.Skip(1).All(blob => !Storage(first).Blobs.Contains(blob)), "the share's data blobs to be dropped");
        }

        await using var seeder = await TransferNode.StartAsync("seeder", root, extra: DropBlobs);
        await using var leecher = await TransferNode.StartAsync("leecher", _directory.File("leecher"));
        Assert.Equal(1, (await seeder.CallAsync("status"))!["blob_storage"]!["plain_file_streams"]!.GetValue<int>());

        await leecher.CallAsync("get", new JsonObject { ["uri"] = sdHash, ["peers"] = new JsonArray(seeder.BlobEndPoint.ToString()) });
        var done = await leecher.WaitForStatusAsync(sdHash, "completed", Limit);

        Assert.Equal(TransferNode.Sha256(source), TransferNode.Sha256(done["download_path"]!.GetValue<string>()));
        Assert.Equal([sdHash], BlobFolder(seeder));
    }

    [Fact]
    public async Task A_plain_file_altered_on_disk_is_never_served_and_the_view_says_why()
    {
        await using var seeder = await TransferNode.StartAsync("seeder", _directory.File("seeder"), extra: DropBlobs);
        await using var leecher = await TransferNode.StartAsync("leecher", _directory.File("leecher"));
        var source = TransferNode.WriteRandomFile(_directory.File("film.bin"), FileLength, seed: 42);
        var sdHash = await seeder.ShareAsync(source);
        var blobs = BlobsOf(seeder, sdHash);
        await WaitUntilAsync(() => blobs.Skip(1).All(blob => !Storage(seeder).Blobs.Contains(blob)), "the share's data blobs to be dropped");

        // One byte of the second blob's plaintext, in place, with the modification time put back: only the hash check
        // when serving can notice.
        AlterInPlace(source, 2_097_151 + 1234);

        await using (var connection = await new BlobExchangeClient().ConnectAsync(seeder.BlobEndPoint, CancellationToken.None))
        {
            var refused = await Assert.ThrowsAsync<BlobExchangeException>(() => connection.DownloadAsync(blobs[2], null, CancellationToken.None));
            Assert.Equal(BlobExchangeFailure.NotAvailable, refused.Failure);
        }

        var view = await seeder.WaitForStatusAsync(sdHash, "failed", Limit);
        var error = view["error"]!.GetValue<string>();
        Assert.Contains("not served", error, StringComparison.Ordinal);
        Assert.Contains("file_set_status start", error, StringComparison.Ordinal);

        // Our downloader gets the descriptor, is told no data blob is available, and fails; it never writes a file.
        await leecher.CallAsync("get", new JsonObject { ["uri"] = sdHash, ["peers"] = new JsonArray(seeder.BlobEndPoint.ToString()) });
        var failed = await leecher.WaitForStatusAsync(sdHash, "failed", Limit);
        Assert.NotNull(failed["error"]);
        Assert.Empty(Directory.Exists(leecher.Downloads) ? Directory.GetFiles(leecher.Downloads) : []);
        Assert.All(blobs.Skip(1), blob => Assert.False(Storage(leecher).Blobs.Contains(blob)));
    }

    [Fact]
    public async Task A_share_and_a_download_are_held_on_the_stamp_they_vouch_for_without_a_second_pass_over_the_file()
    {
        await using var seeder = await TransferNode.StartAsync("seeder", _directory.File("seeder"), extra: DropBlobs);
        await using var leecher = await TransferNode.StartAsync("leecher", _directory.File("leecher"), extra: DropBlobs);
        var source = TransferNode.WriteRandomFile(_directory.File("film.bin"), FileLength, seed: 45);
        var sdHash = await seeder.ShareAsync(source);
        var blobs = BlobsOf(seeder, sdHash);
        await WaitUntilAsync(() => blobs.Skip(1).All(blob => !Storage(seeder).Blobs.Contains(blob)), "the share's data blobs to be dropped");
        await leecher.CallAsync("get", new JsonObject { ["uri"] = sdHash, ["peers"] = new JsonArray(seeder.BlobEndPoint.ToString()) });
        var path = (await leecher.WaitForStatusAsync(sdHash, "completed", Limit))["download_path"]!.GetValue<string>();
        await WaitUntilAsync(() => blobs.Skip(1).All(blob => !Storage(leecher).Blobs.Contains(blob)), "the download's data blobs to be dropped");

        // Both files were held on the stamp their share or download took of them: no whole-file pass ran on either.
        Assert.Equal(0, (await seeder.CallAsync("status"))!["blob_storage"]!["plain_file_checks"]!.GetValue<long>());
        Assert.Equal(0, (await leecher.CallAsync("status"))!["blob_storage"]!["plain_file_checks"]!.GetValue<long>());
        Assert.Equal(TransferNode.Sha256(source), TransferNode.Sha256(path));
    }

    [Fact]
    public async Task A_vouched_stamp_spares_the_pass_only_while_the_file_keeps_it()
    {
        await using var seeder = await TransferNode.StartAsync("seeder", _directory.File("seeder"), extra: DropBlobs);
        var source = TransferNode.WriteRandomFile(_directory.File("film.bin"), FileLength, seed: 46);
        var sdHash = BlobHash.Parse(await seeder.ShareAsync(source));
        var plainFiles = seeder.Host.Services.GetRequiredService<PlainFileStreams>();
        var blob = BlobsOf(seeder, sdHash.ToString())[1];
        await WaitUntilAsync(() => plainFiles.IsHeld(sdHash) && !Storage(seeder).Blobs.Contains(blob), "the share to be held and its blobs dropped");
        // Another file of the same length: not this stream's plaintext.
        var other = TransferNode.WriteRandomFile(_directory.File("other.bin"), FileLength, seed: 47);
        var checks = plainFiles.WholeFileChecks;

        // Vouched for as it is: held as it stands (the pass is what the stamp spares), one check fewer.
        Assert.True(plainFiles.Hold(sdHash, other, FileStamp.Of(other)));
        Assert.Equal(checks, plainFiles.WholeFileChecks);

        // The first serve of each blob still hashes it: the wrong file's blob is refused, never sent.
        await using (var connection = await new BlobExchangeClient().ConnectAsync(seeder.BlobEndPoint, CancellationToken.None))
        {
            var refused = await Assert.ThrowsAsync<BlobExchangeException>(() => connection.DownloadAsync(blob, null, CancellationToken.None));
            Assert.Equal(BlobExchangeFailure.NotAvailable, refused.Failure);
        }

        // A stamp the file no longer has (it was written since) is no voucher: the whole file is checked, and refused.
        var stale = FileStamp.Of(other) with { LastWriteUtcTicks = FileStamp.Of(other).LastWriteUtcTicks - TimeSpan.TicksPerSecond };
        Assert.False(plainFiles.Hold(sdHash, other, stale));
        Assert.Equal(checks + 1, plainFiles.WholeFileChecks);
        Assert.False(plainFiles.Hold(sdHash, other));
        Assert.True(plainFiles.Hold(sdHash, source));
    }

    [Fact]
    public async Task A_blob_served_once_is_checked_again_once_its_file_changes()
    {
        // More data blobs than the rebuilt-blob cache keeps, so blob 1 is rebuilt again when asked again.
        await using var seeder = await TransferNode.StartAsync("seeder", _directory.File("seeder"), extra: DropBlobs);
        var source = TransferNode.WriteRandomFile(_directory.File("film.bin"), ((PlainFileStreams.CacheCapacity + 2) * 2_097_151L) + 5_000, seed: 44);
        var sdHash = await seeder.ShareAsync(source);
        var blobs = BlobsOf(seeder, sdHash);
        await WaitUntilAsync(() => blobs.Skip(1).All(blob => !Storage(seeder).Blobs.Contains(blob)), "the share's data blobs to be dropped");
        await using var connection = await new BlobExchangeClient().ConnectAsync(seeder.BlobEndPoint, CancellationToken.None);
        foreach (var blob in blobs.Skip(1))
        {
            // Served once (hashed, then trusted while the file keeps its length and time), pushing blob 1 out of the cache.
            using var served = await connection.DownloadAsync(blob, null, CancellationToken.None);
        }

        // Blob 1's plaintext changed and the file's time moved: the trust is gone, the rebuilt blob is hashed and refused,
        // never sent wrong (the client checks what it receives and would throw CorruptBlob).
        var modified = File.GetLastWriteTimeUtc(source);
        AlterInPlace(source, 10);
        File.SetLastWriteTimeUtc(source, modified.AddSeconds(1));
        var refused = await Assert.ThrowsAsync<BlobExchangeException>(() => connection.DownloadAsync(blobs[1], null, CancellationToken.None));
        Assert.Equal(BlobExchangeFailure.NotAvailable, refused.Failure);
    }

    [Fact]
    public async Task A_share_and_a_download_on_a_strict_stamp_are_served_unhashed_until_an_edit_even_with_its_time_put_back()
    {
        // More data blobs than the rebuilt-blob cache keeps. The source's change time must be settled (older than
        // the racy window when the share reads it) for its stamp to be strict.
        var root = _directory.File("seeder");
        var source = TransferNode.WriteRandomFile(_directory.File("film.bin"), ((PlainFileStreams.CacheCapacity + 2) * 2_097_151L) + 5_000, seed: 49);
        await WaitUntilAsync(() => FileStamp.Strict(source).ChangeUtcTicks < DateTime.UtcNow.Ticks - FileStamp.RacyWindow.Ticks - TimeSpan.TicksPerSecond, "the source to settle");
        string sdHash;
        List<BlobHash> blobs;
        await using (var first = await TransferNode.StartAsync("seeder", root, extra: DropBlobs))
        await using (var leecher = await TransferNode.StartAsync("leecher", _directory.File("leecher"), extra: DropBlobs))
        {
            sdHash = await first.ShareAsync(source);
            blobs = BlobsOf(first, sdHash);
            await WaitUntilAsync(() => blobs.Skip(1).All(blob => !Storage(first).Blobs.Contains(blob)), "the share's data blobs to be dropped");

            // The leecher downloads every blob; the seeder rebuilt each from the file and hashed none of them.
            await leecher.CallAsync("get", new JsonObject { ["uri"] = sdHash, ["peers"] = new JsonArray(first.BlobEndPoint.ToString()) });
            await leecher.WaitForStatusAsync(sdHash, "completed", Limit);
            Assert.Equal(0, PlainFiles(first).ServedBlobHashes);

            // The download's file is held on the strict stamp it took after its rename: served unhashed too.
            await WaitUntilAsync(() => PlainFiles(leecher).IsHeld(BlobHash.Parse(sdHash)), "the download to be held");
            await using var fromLeecher = await new BlobExchangeClient().ConnectAsync(leecher.BlobEndPoint, CancellationToken.None);
            foreach (var blob in blobs.Skip(1))
            {
                using var served = await fromLeecher.DownloadAsync(blob, null, CancellationToken.None);
            }

            Assert.Equal(0, PlainFiles(leecher).ServedBlobHashes);
        }

        // After a restart the recorded stamp still vouches: blob 2 is served without a hash.
        await using var seeder = await TransferNode.StartAsync("seeder", root, extra: DropBlobs);
        await using var connection = await new BlobExchangeClient().ConnectAsync(seeder.BlobEndPoint, CancellationToken.None);
        using (var served = await connection.DownloadAsync(blobs[2], null, CancellationToken.None))
        {
            Assert.Equal(0, PlainFiles(seeder).ServedBlobHashes);
        }

        // One byte of blob 1's plaintext, with the modification time put back: the change time moved, so the blob is
        // hashed and refused, never sent wrong (the client checks what it receives and would throw CorruptBlob).
        AlterInPlace(source, 10);
        var refused = await Assert.ThrowsAsync<BlobExchangeException>(() => connection.DownloadAsync(blobs[1], null, CancellationToken.None));
        Assert.Equal(BlobExchangeFailure.NotAvailable, refused.Failure);
        Assert.Equal(1, PlainFiles(seeder).ServedBlobHashes);
    }

    [Fact]
    public async Task A_download_whose_file_changed_is_found_by_blob_verify_and_started_again_to_fetch_its_blobs()
    {
        await using var seeder = await TransferNode.StartAsync("seeder", _directory.File("seeder"));
        await using var leecher = await TransferNode.StartAsync("leecher", _directory.File("leecher"), extra: DropBlobs);
        var source = TransferNode.WriteRandomFile(_directory.File("film.bin"), FileLength, seed: 43);
        var sdHash = await seeder.ShareAsync(source);
        var blobs = BlobsOf(seeder, sdHash);
        await leecher.CallAsync("get", new JsonObject { ["uri"] = sdHash, ["peers"] = new JsonArray(seeder.BlobEndPoint.ToString()) });
        var first = (await leecher.WaitForStatusAsync(sdHash, "completed", Limit))["download_path"]!.GetValue<string>();
        await WaitUntilAsync(() => blobs.Skip(1).All(blob => !Storage(leecher).Blobs.Contains(blob)), "the download's data blobs to be dropped");

        AlterInPlace(first, 10);
        var verified = (await leecher.CallAsync("blob_verify"))!;
        Assert.Equal([sdHash], verified["plain_files"]!["broken"]!.AsArray().Select(hash => hash!.GetValue<string>()));
        var view = await leecher.FileAsync(sdHash);
        Assert.Equal("failed", view["status"]!.GetValue<string>());
        Assert.Contains(first, view["error"]!.GetValue<string>(), StringComparison.Ordinal);

        await leecher.CallAsync("file_set_status", new JsonObject { ["key"] = sdHash, ["status"] = "start" });
        var again = (await leecher.WaitForStatusAsync(sdHash, "completed", Limit))["download_path"]!.GetValue<string>();

        Assert.NotEqual(first, again);
        Assert.Equal(TransferNode.Sha256(source), TransferNode.Sha256(again));
        Assert.Null((await leecher.FileAsync(sdHash))["error"]);
        await WaitUntilAsync(() => blobs.Skip(1).All(blob => !Storage(leecher).Blobs.Contains(blob)), "the new file to be held and the blobs dropped again");
    }

    private static void AlterInPlace(string path, long offset)
    {
        var modified = File.GetLastWriteTimeUtc(path);
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = offset;
            var original = stream.ReadByte();
            stream.Position = offset;
            stream.WriteByte((byte)(original ^ 0x5A));
        }

        File.SetLastWriteTimeUtc(path, modified);
    }

    private static LbryStorage Storage(TransferNode node) => node.Host.Services.GetRequiredService<LbryStorage>();

    [Fact]
    public async Task Blobs_asked_in_order_are_rebuilt_a_batch_at_a_time_and_never_twice_while_out_of_order_ones_are_rebuilt_alone()
    {
        await using var seeder = await TransferNode.StartAsync("seeder", _directory.File("seeder"), extra: DropBlobs);
        var settled = TransferNode.WriteRandomFile(_directory.File("settled.bin"), (12 * 2_097_151L) + 5_000, seed: 53);
        var fresh = TransferNode.WriteRandomFile(_directory.File("fresh.bin"), (6 * 2_097_151L) + 5_000, seed: 54);

        // Shared right after it was written, its stamp is not strict: every blob served is hashed, and none is read
        // ahead (it would delay the blob asked for by the others' hashes).
        var freshBlobs = await ShareAndDropAsync(seeder, fresh);
        await AskInOrderAsync(seeder, freshBlobs);
        Assert.Equal((freshBlobs.Count, 0L), PlainFiles(seeder).RebuiltBlobs);

        // Shared once its change time has settled (strict stamp): four connections asking for the blobs in order, as
        // a downloader's do. Each blob is encrypted once, most of them in a batch read ahead with the one asked for,
        // and every one arrives whole (the client checks its hash).
        await WaitUntilAsync(() => FileStamp.Strict(settled).ChangeUtcTicks < DateTime.UtcNow.Ticks - FileStamp.RacyWindow.Ticks - TimeSpan.TicksPerSecond, "the file to settle");
        var data = await ShareAndDropAsync(seeder, settled);
        await AskInOrderAsync(seeder, data);
        var (rebuilt, readAhead) = PlainFiles(seeder).RebuiltBlobs;
        Assert.Equal(freshBlobs.Count + data.Count, rebuilt);
        Assert.True(readAhead >= data.Count / 2, $"Only {readAhead} of {data.Count} blobs were read ahead.");

        // Out of order (every third blob, backwards): no read-ahead, each blob rebuilt alone.
        await using var another = await new BlobExchangeClient().ConnectAsync(seeder.BlobEndPoint, CancellationToken.None);
        for (var index = data.Count - 1; index >= 0; index -= 3)
        {
            using var served = await another.DownloadAsync(data[index], null, CancellationToken.None);
        }

        Assert.Equal(readAhead, PlainFiles(seeder).RebuiltBlobs.ReadAhead);
    }

    [Fact]
    public async Task A_blob_asked_for_by_many_peers_at_once_is_rebuilt_once()
    {
        await using var seeder = await TransferNode.StartAsync("seeder", _directory.File("seeder"), extra: DropBlobs);
        var source = TransferNode.WriteRandomFile(_directory.File("film.bin"), (5 * 2_097_151L) + 5_000, seed: 55);
        var data = await ShareAndDropAsync(seeder, source);
        var plainFiles = PlainFiles(seeder);

        // Sixteen readers let go at once for each blob, on the thread pool, as peers on as many connections would ask.
        foreach (var blob in data)
        {
            using var start = new ManualResetEventSlim();
            var readers = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
            {
                start.Wait();
                using var served = await plainFiles.ReadAsync(blob, CancellationToken.None);
                return served is not null && BlobHash.Compute(served.Memory.Span) == blob;
            })).ToList();
            start.Set();
            Assert.All(await Task.WhenAll(readers), Assert.True);
        }

        Assert.Equal(data.Count, plainFiles.RebuiltBlobs.Rebuilt);
    }

    // A share's data blobs, once the node dropped them from the store (so each is rebuilt from the file when asked).
    private static async Task<List<BlobHash>> ShareAndDropAsync(TransferNode seeder, string source)
    {
        var sdHash = await seeder.ShareAsync(source);
        var data = BlobsOf(seeder, sdHash).Skip(1).ToList();
        await WaitUntilAsync(() => data.All(blob => !Storage(seeder).Blobs.Contains(blob)), "the share's data blobs to be dropped");
        return data;
    }

    // Asks for every blob, four at a time in order over four connections.
    private static async Task AskInOrderAsync(TransferNode seeder, List<BlobHash> data)
    {
        var client = new BlobExchangeClient();
        var connections = new List<IBlobPeerConnection>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                connections.Add(await client.ConnectAsync(seeder.BlobEndPoint, CancellationToken.None));
            }

            for (var first = 0; first < data.Count; first += connections.Count)
            {
                await Task.WhenAll(data.Skip(first).Take(connections.Count).Select(async (blob, i) =>
                {
                    using var served = await connections[i].DownloadAsync(blob, null, CancellationToken.None);
                }));
            }
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }
    }

    private static PlainFileStreams PlainFiles(TransferNode node) => node.Host.Services.GetRequiredService<PlainFileStreams>();

    private static List<BlobHash> BlobsOf(TransferNode node, string sdHash)
    {
        var hash = BlobHash.Parse(sdHash);
        return [.. StreamBlobs.Of(hash, new StreamDecryptor(Storage(node)).ReadDescriptor(hash))];
    }

    private static List<string> BlobFolder(TransferNode node) =>
        [.. new DirectoryInfo(Storage(node).Blobs.Directory).GetFiles().Select(file => file.Name).Where(name => !name.StartsWith('.'))];

    private static async Task<Dictionary<string, JsonObject>> BlobListAsync(TransferNode node)
    {
        var page = await node.CallAsync("blob_list", new JsonObject { ["page_size"] = 1000 });
        return page!["items"]!.AsArray().Select(item => (JsonObject)item!).ToDictionary(item => item["blob_hash"]!.GetValue<string>());
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        using var timeout = new CancellationTokenSource(Limit);
        while (!condition())
        {
            try
            {
                await Task.Delay(50, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Gave up waiting for {what} after {Limit.TotalSeconds} s.");
            }
        }
    }
}
