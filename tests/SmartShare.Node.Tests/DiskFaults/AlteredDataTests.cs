using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SmartShare.Lbry.BlobExchange;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Streams;
using SmartShare.Node.Settings;
using SmartShare.Node.Tests.Downloads;
using SmartShare.Node.Torrents;

namespace SmartShare.Node.Tests.DiskFaults;

/// <summary>
/// Data changed on disk behind the node's back, between real nodes on loopback: a blob in the blob store edited or
/// cut short, a seeding torrent's file edited. The node finds it before it serves it, never sends the bad bytes, and
/// gets the data back (rebuilt from the plain file, or fetched from another peer).
/// </summary>
public sealed class AlteredDataTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    private readonly NodeTestDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_blob_edited_or_cut_short_in_the_store_is_never_served_and_is_rebuilt_from_the_plain_file()
    {
        var keepBlobs = new Dictionary<string, JsonNode?> { [NodeSettingKeys.KeepStreamBlobs] = true };
        await using var seeder = await TransferNode.StartAsync("seeder", _temp.File("seeder"), extra: keepBlobs);
        await using var getter = await TransferNode.StartAsync("getter", _temp.File("getter"));
        var source = TransferNode.WriteRandomFile(_temp.File("clip.bin"), 5L * 1024 * 1024, seed: 21);
        var sdHash = await seeder.ShareAsync(source);
        var blobs = new StreamDecryptor(seeder.Host.Storage).ReadDescriptor(BlobHash.Parse(sdHash)).DataBlobs
            .Select(blob => blob.BlobHash!.Value).ToList();
        Assert.True(blobs.Count >= 3, $"The stream has {blobs.Count} data blobs.");
        var store = seeder.Host.Storage.Blobs;
        Assert.All(blobs.Take(2), blob => Assert.True(store.Contains(blob)));

        // One edited with its modification time put back (only a hash finds it), one cut short.
        var edited = store.PathOf(blobs[0]);
        var modified = File.GetLastWriteTimeUtc(edited);
        using (var file = new FileStream(edited, FileMode.Open, FileAccess.Write))
        {
            file.Position = 1000;
            file.Write("changed behind the node's back"u8);
        }

        File.SetLastWriteTimeUtc(edited, modified);
        using (var file = new FileStream(store.PathOf(blobs[1]), FileMode.Open, FileAccess.Write))
        {
            file.SetLength(file.Length / 2);
        }

        // Asked directly, with a client that checks what it receives: the right bytes (rebuilt from the shared file)
        // or "not available", never the changed ones.
        var client = new BlobExchangeClient();
        foreach (var blob in blobs.Take(2))
        {
            await using var connection = await client.ConnectAsync(seeder.BlobEndPoint, CancellationToken.None);
            try
            {
                using var received = await connection.DownloadAsync(blob, null, CancellationToken.None);
                Assert.Equal(blob, BlobHash.Compute(received.Content.Span));
            }
            catch (BlobExchangeException ex)
            {
                Assert.NotEqual(BlobExchangeFailure.CorruptBlob, ex.Failure);
            }
        }

        Assert.Equal(2, (await seeder.CallAsync("status"))!["blob_exchange"]!["damaged_blobs_dropped"]!.GetValue<long>());
        Assert.All(blobs.Take(2), blob => Assert.False(store.Contains(blob), $"The damaged blob {blob} is still in the store."));

        // A real download of the whole stream completes with the source's bytes.
        await getter.CallAsync("get", new JsonObject { ["uri"] = sdHash, ["peers"] = new JsonArray(seeder.BlobEndPoint.ToString()) });
        var done = await getter.WaitForStatusAsync(sdHash, "completed", Limit);
        Assert.Equal(TransferNode.Sha256(source), TransferNode.Sha256(done["download_path"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_seeding_torrent_whose_file_was_edited_never_sends_the_bad_piece_and_fetches_it_again()
    {
        await using var origin = await TransferNode.StartAsync("origin", _temp.File("origin"));
        await using var seeder = await TransferNode.StartAsync("seeder", _temp.File("seeder"));
        await using var leecher = await TransferNode.StartAsync("leecher", _temp.File("leecher"));
        var source = TransferNode.WriteRandomFile(_temp.File("clip.bin"), (4L * 1024 * 1024) + 99, seed: 22);
        var torrentPath = _temp.File("clip.torrent");
        var shared = await origin.CallAsync("stream_create", new JsonObject { ["file_path"] = source, ["torrent"] = true, ["torrent_path"] = torrentPath });
        var infoHash = shared!["info_hash"]!.GetValue<string>();

        // The seeder downloads it whole from the origin, then its copy is edited in the middle (same size).
        await seeder.CallAsync("get", new JsonObject { ["uri"] = torrentPath, ["peers"] = new JsonArray(BtEndPoint(origin).ToString()) });
        var copy = (await WaitForTorrentAsync(seeder, infoHash, "completed"))["download_path"]!.GetValue<string>();
        using (var file = new FileStream(copy, FileMode.Open, FileAccess.Write))
        {
            file.Position = file.Length / 2;
            file.Write("changed behind the node's back"u8);
        }

        // The leecher knows only the seeder, and notes every piece that fails its hash check.
        var hashFailures = new List<string>();
        leecher.Host.Services.GetRequiredService<TorrentManager>().ConfigureSessions = options =>
        {
            var log = options.Log;
            options.Log = message =>
            {
                if (message.Contains("failed its hash check", StringComparison.Ordinal))
                {
                    lock (hashFailures)
                    {
                        hashFailures.Add(message);
                    }
                }

                log?.Invoke(message);
            };
        };
        await leecher.CallAsync("get", new JsonObject { ["uri"] = torrentPath, ["peers"] = new JsonArray(BtEndPoint(seeder).ToString()) });

        // The seeder found the piece bad when asked for it, fetched it again from the origin, and the leecher completed.
        var done = await WaitForTorrentAsync(leecher, infoHash, "completed");
        Assert.Equal(TransferNode.Sha256(source), TransferNode.Sha256(done["download_path"]!.GetValue<string>()));
        lock (hashFailures)
        {
            Assert.Empty(hashFailures);
        }

        await WaitForTorrentAsync(seeder, infoHash, "completed");
        Assert.Equal(TransferNode.Sha256(source), TransferNode.Sha256(copy));
    }

    private static IPEndPoint BtEndPoint(TransferNode node) =>
        new(IPAddress.Loopback, node.Host.Services.GetRequiredService<TorrentManager>().ListenEndPoint.Port);

    private static async Task<JsonObject> WaitForTorrentAsync(TransferNode node, string infoHash, string status)
    {
        using var timeout = new CancellationTokenSource(Limit);
        while (true)
        {
            var list = await node.CallAsync("file_list", new JsonObject { ["info_hash"] = infoHash });
            var item = (JsonObject)list!["items"]!.AsArray().Single()!;
            if (item["status"]!.GetValue<string>() == status)
            {
                return item;
            }

            Assert.NotEqual("failed", item["status"]!.GetValue<string>());
            await Task.Delay(100, timeout.Token);
        }
    }
}
