using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SmartShare.Lbry;
using SmartShare.Lbry.BlobExchange;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Streams;
using SmartShare.Node.Downloads;
using SmartShare.Node.Settings;

namespace SmartShare.Node.Tests.Downloads;

/// <summary>
/// file_delete of a stream deletes its blobs (whole or partial) unless another listed stream needs them, and the
/// node neither serves nor announces it again, also after a restart.
/// </summary>
public sealed class StreamDeleteTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    private readonly NodeTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_removed_share_loses_its_blobs_is_not_served_and_is_not_announced_after_a_restart()
    {
        var root = _directory.File("node");
        var removedSource = TransferNode.WriteRandomFile(_directory.File("removed.bin"), 5 * 1024 * 1024, seed: 21);
        var keptSource = TransferNode.WriteRandomFile(_directory.File("kept.bin"), 3 * 1024 * 1024, seed: 22);
        string removed, kept;
        List<BlobHash> removedBlobs, keptBlobs;
        await using (var node = await TransferNode.StartAsync("node", root))
        {
            removed = await node.ShareAsync(removedSource);
            kept = await node.ShareAsync(keptSource);
            removedBlobs = BlobsOf(node, removed);
            keptBlobs = BlobsOf(node, kept);
            Assert.Contains(node.Host.Announcer.StreamsToAnnounce(), stream => stream.SdHash.ToString() == removed);

            Assert.True((await node.CallAsync("file_delete", new JsonObject { ["key"] = removed }))!.GetValue<bool>());

            var blobFolder = Path.Combine(root, "data", LbryStorage.BlobFolderName);
            Assert.True(removedBlobs.Count >= 4, $"the 5 MiB share has {removedBlobs.Count} blobs");
            Assert.All(removedBlobs, blob => Assert.False(File.Exists(Path.Combine(blobFolder, blob.ToString())), $"blob {blob} is still on disk"));
            Assert.All(keptBlobs, blob => Assert.True(File.Exists(Path.Combine(blobFolder, blob.ToString())), $"the kept stream's blob {blob} is gone"));
            var listed = await BlobListAsync(node);
            Assert.DoesNotContain(listed, removedBlobs.Select(blob => blob.ToString()).Contains);
            Assert.Equal(keptBlobs.Select(blob => blob.ToString()).Order(), listed.Order());
            Assert.True(File.Exists(removedSource), "a shared source file is never deleted");
            Assert.Empty(Storage(node).Streams.StreamsContaining(removedBlobs[1]));
            Assert.DoesNotContain(node.Host.Announcer.StreamsToAnnounce(), stream => stream.SdHash.ToString() == removed);

            await using var connection = await new BlobExchangeClient().ConnectAsync(node.BlobEndPoint, CancellationToken.None);
            var missing = await Assert.ThrowsAsync<BlobExchangeException>(() => connection.DownloadAsync(removedBlobs[0], null, CancellationToken.None));
            Assert.Equal(BlobExchangeFailure.NotAvailable, missing.Failure);
            using var served = await connection.DownloadAsync(keptBlobs[0], null, CancellationToken.None);
        }

        await using var restarted = await TransferNode.StartAsync("restarted", root);
        var announced = restarted.Host.Announcer.StreamsToAnnounce().Select(stream => stream.SdHash.ToString()).ToList();
        Assert.Equal([kept], announced);
        Assert.Null(Storage(restarted).Streams.Find(BlobHash.Parse(removed)));
        Assert.Equal(keptBlobs.Select(blob => blob.ToString()).Order(), (await BlobListAsync(restarted)).Order());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Removing_a_running_download_stops_it_and_deletes_its_partial_file_and_blobs(bool keepStreamBlobs)
    {
        // The seeder's 1 MiB/s upload limit keeps the 24 MiB download (12 data blobs) running long enough to remove it
        // midway: blobs are asked for several at a time and the limit serves them in turn, so blob 0 (the first the
        // partial file can take) may come after a few others, and with a small file the last blobs came with it.
        await using var seeder = await TransferNode.StartAsync(
            "seeder", _directory.File("seeder"), extra: new Dictionary<string, JsonNode?> { [NodeSettingKeys.MaxUploadRate] = 1024 });
        await using var leecher = await TransferNode.StartAsync(
            "leecher", _directory.File("leecher"), extra: new Dictionary<string, JsonNode?> { [NodeSettingKeys.KeepStreamBlobs] = keepStreamBlobs });
        var source = TransferNode.WriteRandomFile(_directory.File("film.bin"), 24 * 1024 * 1024, seed: 23);
        var sdHash = await seeder.ShareAsync(source);
        var blobs = BlobsOf(seeder, sdHash);
        await leecher.CallAsync("get", new JsonObject { ["uri"] = sdHash, ["peers"] = new JsonArray(seeder.BlobEndPoint.ToString()) });
        var leecherStore = Storage(leecher).Blobs;

        // Keeping no second copy of its streams (keep_stream_blobs off), the node writes the blobs only into the hidden
        // partial file, its record to resume from; else the blobs are that record. Removing the download removes both.
        var partials = () => Directory.GetFiles(_directory.File("leecher"), "*.partial", SearchOption.AllDirectories);
        await WaitUntilAsync(() => partials().Any(path => new FileInfo(path).Length > 0), "the first data blob to be written");
        Assert.Equal(!keepStreamBlobs, leecher.Manager.Active(BlobHash.Parse(sdHash))!.Download.WritesWithoutBlobs);
        Assert.True(leecher.Manager.Active(BlobHash.Parse(sdHash))!.Download.Progress.BlobsHave < blobs.Count - 1, "the download ended before it could be removed");

        Assert.True((await leecher.CallAsync("file_delete", new JsonObject { ["key"] = sdHash, ["delete_from_download_dir"] = true }))!.GetValue<bool>());

        Assert.Null(leecher.Manager.Active(BlobHash.Parse(sdHash)));
        Assert.All(blobs, blob => Assert.False(leecherStore.Contains(blob), $"blob {blob} of the removed download is still stored"));
        Assert.Empty(partials());
        Assert.Empty(await BlobListAsync(leecher));
        Assert.Empty((await leecher.CallAsync("file_list"))!["items"]!.AsArray());
        Assert.All(blobs, blob => Assert.True(Storage(seeder).Blobs.Contains(blob)));
    }

    [Fact]
    public async Task A_blob_that_cannot_be_deleted_or_is_already_gone_does_not_fail_the_removal()
    {
        var root = _directory.File("node");
        await using var node = await TransferNode.StartAsync("node", root);
        var sdHash = await node.ShareAsync(TransferNode.WriteRandomFile(_directory.File("notes.bin"), 5 * 1024 * 1024, seed: 24));
        var blobs = BlobsOf(node, sdHash);
        var store = Storage(node).Blobs;

        // One blob already gone, one that no file deletion can remove (a folder now stands under its name).
        File.Delete(store.PathOf(blobs[1]));
        File.Delete(store.PathOf(blobs[2]));
        Directory.CreateDirectory(store.PathOf(blobs[2]));
        File.WriteAllText(Path.Combine(store.PathOf(blobs[2]), "inside"), "x");

        Assert.True((await node.CallAsync("file_delete", new JsonObject { ["key"] = sdHash }))!.GetValue<bool>());

        Assert.Empty((await node.CallAsync("file_list"))!["items"]!.AsArray());
        Assert.All(blobs.Where(blob => blob != blobs[2]), blob => Assert.False(File.Exists(store.PathOf(blob)), $"blob {blob} is still on disk"));
        Assert.True(Directory.Exists(store.PathOf(blobs[2])));
        Assert.DoesNotContain(blobs[1].ToString(), await BlobListAsync(node));
        Assert.Empty(node.Host.Announcer.StreamsToAnnounce());
    }

    [Fact]
    public async Task Blobs_a_listed_unfinished_download_names_in_its_descriptor_stay_when_another_stream_is_removed()
    {
        await using var node = await TransferNode.StartAsync("node", _directory.File("node"));
        var sdHash = await node.ShareAsync(TransferNode.WriteRandomFile(_directory.File("show.bin"), 5 * 1024 * 1024, seed: 25));
        var blobs = BlobsOf(node, sdHash);
        var storage = Storage(node);

        // A second stream over the same data blobs (another name), listed as a stopped download: not in the index, so
        // only its descriptor says what it needs.
        var original = new StreamDecryptor(storage).ReadDescriptor(BlobHash.Parse(sdHash));
        var key = new string('1', 32);
        var twin = new StreamDescriptor("twin.bin", key, "twin.bin", StreamDescriptorCodec.ComputeStreamHash("twin.bin", key, "twin.bin", original.Blobs), original.Blobs);
        var (twinSd, _) = storage.Blobs.Add(StreamDescriptorCodec.Serialize(twin));
        node.Host.Services.GetRequiredService<FileStore>().Upsert(new FileRecord(
            twinSd, FileKind.Download, FileStatus.Stopped, node.Downloads, null, "twin.bin", null, [], DateTimeOffset.UtcNow, null));

        Assert.True((await node.CallAsync("file_delete", new JsonObject { ["key"] = sdHash }))!.GetValue<bool>());

        Assert.False(storage.Blobs.Contains(blobs[0]), "the removed stream's sd blob is still stored");
        Assert.All(blobs.Skip(1), blob => Assert.True(storage.Blobs.Contains(blob), $"blob {blob}, which the listed download needs, was deleted"));
        Assert.True(storage.Blobs.Contains(twinSd));

        Assert.True((await node.CallAsync("file_delete", new JsonObject { ["key"] = twinSd.ToString() }))!.GetValue<bool>());

        Assert.Empty(await BlobListAsync(node));
    }

    private static LbryStorage Storage(TransferNode node) => node.Host.Services.GetRequiredService<LbryStorage>();

    // The sd blob first, then the data blobs, from the stored descriptor.
    private static List<BlobHash> BlobsOf(TransferNode node, string sdHash)
    {
        var hash = BlobHash.Parse(sdHash);
        return [.. StreamBlobs.Of(hash, new StreamDecryptor(Storage(node)).ReadDescriptor(hash))];
    }

    private static async Task<List<string>> BlobListAsync(TransferNode node)
    {
        var page = await node.CallAsync("blob_list", new JsonObject { ["page_size"] = 1000 });
        return [.. page!["items"]!.AsArray().Select(item => item!["blob_hash"]!.GetValue<string>())];
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        using var timeout = new CancellationTokenSource(Limit);
        while (!condition())
        {
            try
            {
                await Task.Delay(20, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Gave up waiting for {what} after {Limit.TotalSeconds} s.");
            }
        }
    }
}
