using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SmartShare.Lbry;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Streams;
using SmartShare.Node.Tests.Downloads;

namespace SmartShare.Node.Tests.BlobStorage;

/// <summary>
/// blob_storage_limit on a running node, in lbrynet's megabytes, set live: the cached blobs of a finished download of
/// another node's stream go, the node's own share and every listed stream's sd blob stay, and <c>status</c> shows used
/// and limit.
/// </summary>
public sealed class BlobStorageLimitTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    private readonly NodeTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_limit_set_live_evicts_a_finished_downloads_blobs_and_keeps_the_users_share()
    {
        await using var seeder = await TransferNode.StartAsync("seeder", _directory.File("seeder"));
        await using var node = await TransferNode.StartAsync("node", _directory.File("node"));
        var theirs = await seeder.ShareAsync(TransferNode.WriteRandomFile(_directory.File("theirs.bin"), 5_000_000, seed: 51));
        var mine = await node.ShareAsync(TransferNode.WriteRandomFile(_directory.File("mine.bin"), 3_000_000, seed: 52));
        await node.CallAsync("get", new JsonObject { ["uri"] = theirs, ["peers"] = new JsonArray(seeder.BlobEndPoint.ToString()) });
        await node.WaitForStatusAsync(theirs, "completed", Limit);
        var theirBlobs = BlobsOf(node, theirs);
        var myBlobs = BlobsOf(node, mine);
        Assert.All(theirBlobs, blob => Assert.True(Storage(node).Blobs.Contains(blob)));

        var status = (await node.CallAsync("status"))!["blob_storage"]!;
        Assert.Equal(0, status["limit_bytes"]!.GetValue<long>());
        Assert.Equal(Storage(node).Blobs.Totals().Bytes, status["used_bytes"]!.GetValue<long>());

        await node.CallAsync("settings_set", new JsonObject { ["key"] = "blob_storage_limit", ["value"] = 1 });
        await WaitUntilAsync(() => theirBlobs.Skip(1).All(blob => !Storage(node).Blobs.Contains(blob)), "the download's cached data blobs to be evicted");

        // The files go during the pass; its counts reach the status when the pass ends.
        var passEnded = DateTime.UtcNow + Limit;
        while ((await node.CallAsync("status"))!["blob_storage"]!["evicted_blobs"]!.GetValue<long>() < theirBlobs.Count - 1)
        {
            Assert.True(DateTime.UtcNow < passEnded, "The eviction pass did not end.");
            await Task.Delay(20);
        }

        Assert.True(Storage(node).Blobs.Contains(theirBlobs[0]), "a listed stream's sd blob was evicted");
        Assert.All(myBlobs, blob => Assert.True(Storage(node).Blobs.Contains(blob), $"the user's share lost blob {blob}"));
        status = (await node.CallAsync("status"))!["blob_storage"]!;
        Assert.Equal(1, status["limit_mb"]!.GetValue<int>());
        Assert.Equal(1_048_576, status["limit_bytes"]!.GetValue<long>());
        Assert.Equal(theirBlobs.Count - 1, status["evicted_blobs"]!.GetValue<long>());
        Assert.Equal(Storage(node).Blobs.Totals().Bytes, status["used_bytes"]!.GetValue<long>());

        // The share alone is over the limit, and stays: the status says how much is pinned past it.
        Assert.True(status["over_limit_pinned_bytes"]!.GetValue<long>() > 0);
        // What is left in the store is pinned; the evicted blobs are still served, rebuilt from the downloaded file.
        var listed = (await node.CallAsync("blob_list", new JsonObject { ["page_size"] = 1000 }))!["items"]!.AsArray()
            .ToDictionary(item => item!["blob_hash"]!.GetValue<string>(), item => item!["held"]!.GetValue<string>());
        Assert.All(myBlobs.Append(theirBlobs[0]), blob => Assert.Equal("pinned", listed[blob.ToString()]));
        Assert.All(theirBlobs.Skip(1), blob => Assert.Equal("plain_file", listed[blob.ToString()]));
        Assert.Equal(myBlobs.Count + theirBlobs.Count, listed.Count);

        // The finished download is still listed and complete: its file is what it was.
        Assert.Equal("completed", (await node.FileAsync(theirs))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_limit_is_refused_when_not_a_whole_number_of_megabytes()
    {
        await using var node = await TransferNode.StartAsync("node", _directory.File("node"));

        var error = await Assert.ThrowsAsync<SmartShare.Node.Client.NodeApiException>(
            () => node.CallAsync("settings_set", new JsonObject { ["key"] = "blob_storage_limit", ["value"] = -5 }));

        Assert.Contains("blob_storage_limit", error.Message, StringComparison.Ordinal);
    }

    private static LbryStorage Storage(TransferNode node) => node.Host.Services.GetRequiredService<LbryStorage>();

    private static List<BlobHash> BlobsOf(TransferNode node, string sdHash)
    {
        var hash = BlobHash.Parse(sdHash);
        return [.. StreamBlobs.Of(hash, new StreamDecryptor(Storage(node)).ReadDescriptor(hash))];
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
