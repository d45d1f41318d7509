using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SmartShare.Lbry;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Streams;
using SmartShare.Node.Settings;
using SmartShare.Tests.Shared;

namespace SmartShare.Node.Tests.Downloads;

/// <summary>Real nodes on 127.0.0.1 moving streams over real blob-exchange sockets and the real DHT.</summary>
public sealed class TransferTests : IDisposable
{
    private const int FullBlobPlaintext = 2_097_151;

    private readonly NodeTestDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Get_from_a_given_peer_writes_an_identical_file_and_lists_it()
    {
        await using var seeder = await TransferNode.StartAsync("A", _temp.File("a"));
        await using var getter = await TransferNode.StartAsync("B", _temp.File("b"));
        var source = TransferNode.WriteRandomFile(_temp.File("movie.mp4"), (3L * FullBlobPlaintext) + 777, seed: 1);
        var sdHash = await seeder.ShareAsync(source);

        await getter.CallAsync("get", new JsonObject { ["uri"] = sdHash, ["peers"] = new JsonArray(seeder.BlobEndPoint.ToString()) });
        var file = await getter.WaitForStatusAsync(sdHash, "completed");

        var path = file["download_path"]!.GetValue<string>();
        Assert.Equal(Path.Combine(getter.Downloads, "movie.mp4"), path);
        Assert.Equal(TransferNode.Sha256(source), TransferNode.Sha256(path));
        Assert.Equal(new FileInfo(source).Length, file["written_bytes"]!.GetValue<long>());
        var shared = await seeder.FileAsync(sdHash);
        Assert.Equal("share", shared["kind"]!.GetValue<string>());
        Assert.Equal("completed", shared["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Stream_endpoint_serves_ranges_from_blobs_and_from_the_finished_file()
    {
        await using var seeder = await TransferNode.StartAsync("A", _temp.File("a"));
        await using var getter = await TransferNode.StartAsync("B", _temp.File("b"));
        var size = (4L * FullBlobPlaintext) + 12_345;
        var source = TransferNode.WriteRandomFile(_temp.File("clip.mp4"), size, seed: 2);
        var bytes = await File.ReadAllBytesAsync(source);
        var sdHash = await seeder.ShareAsync(source);

        // The seeder serves its own share from blobs: a range across a blob boundary, and a suffix range.
        using (var response = await seeder.GetStreamAsync(sdHash, $"bytes={FullBlobPlaintext - 10}-{FullBlobPlaintext + 9}"))
        {
            Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
            Assert.Equal($"bytes {FullBlobPlaintext - 10}-{FullBlobPlaintext + 9}/{size}", response.Content.Headers.ContentRange!.ToString());
            Assert.Equal("video/mp4", response.Content.Headers.ContentType!.MediaType);
            Assert.Equal(bytes.AsSpan(FullBlobPlaintext - 10, 20).ToArray(), await response.Content.ReadAsByteArrayAsync());
        }

        using (var response = await seeder.GetStreamAsync(sdHash, "bytes=-100"))
        {
            Assert.Equal(bytes.AsSpan((int)size - 100).ToArray(), await response.Content.ReadAsByteArrayAsync());
        }

        using (var response = await seeder.GetStreamAsync(sdHash, $"bytes={size}-"))
        {
            Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, response.StatusCode);
        }

        // The getter has nothing yet: the request itself starts the download (from the given peer) and waits for the blobs.
        await getter.CallAsync("get", new JsonObject { ["uri"] = sdHash, ["peers"] = new JsonArray(seeder.BlobEndPoint.ToString()) });
        using (var response = await getter.GetStreamAsync(sdHash, $"bytes={3L * FullBlobPlaintext}-"))
        {
            Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
            Assert.Equal(bytes.AsSpan(3 * FullBlobPlaintext).ToArray(), await response.Content.ReadAsByteArrayAsync());
        }

        await getter.WaitForStatusAsync(sdHash, "completed");
        using (var response = await getter.GetStreamAsync(sdHash))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(bytes, await response.Content.ReadAsByteArrayAsync());
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_direct_writes_setting_decides_whether_a_downloaded_file_goes_through_the_page_cache(bool direct)
    {
        await using var seeder = await TransferNode.StartAsync("A", _temp.File("a"));
        await using var getter = await TransferNode.StartAsync(
            "B", _temp.File("b"), extra: new Dictionary<string, JsonNode?> { [NodeSettingKeys.DirectWrites] = direct });
        var size = (4L * FullBlobPlaintext) + 999;
        var source = TransferNode.WriteRandomFile(_temp.File("show.mkv"), size, seed: 19);
        var sdHash = await seeder.ShareAsync(source);

        await getter.CallAsync("get", new JsonObject { ["uri"] = sdHash, ["peers"] = new JsonArray(seeder.BlobEndPoint.ToString()) });
        var path = (await getter.WaitForStatusAsync(sdHash, "completed"))["download_path"]!.GetValue<string>();

        // Direct, only the blocks the blob-sized appends share at their ends are cached.
        var resident = PageCache.ResidentBytes(path);
        Assert.True(direct ? resident <= 8 * 4096 : resident >= size - 4096, $"{resident} of {size} bytes are in the page cache");
        Assert.Equal(TransferNode.Sha256(source), TransferNode.Sha256(path));
    }

    [Fact]
    public async Task A_node_keeping_no_stream_blobs_plays_a_download_from_its_file_while_it_runs_and_stores_no_data_blob()
    {
        // A 2 MiB/s seeder keeps the 8 MiB download running while the player reads it from the start.
        await using var seeder = await TransferNode.StartAsync(
            "A", _temp.File("a"), extra: new Dictionary<string, JsonNode?> { [NodeSettingKeys.MaxUploadRate] = 2048 });
        await using var getter = await TransferNode.StartAsync(
            "B", _temp.File("b"), extra: new Dictionary<string, JsonNode?> { [NodeSettingKeys.KeepStreamBlobs] = false });
        var size = (4L * FullBlobPlaintext) + 12_345;
        var source = TransferNode.WriteRandomFile(_temp.File("clip.mp4"), size, seed: 3);
        var bytes = await File.ReadAllBytesAsync(source);
        var sdHash = await seeder.ShareAsync(source);

        await getter.CallAsync("get", new JsonObject { ["uri"] = sdHash, ["peers"] = new JsonArray(seeder.BlobEndPoint.ToString()) });
        var active = getter.Manager.Active(BlobHash.Parse(sdHash));
        Assert.NotNull(active);
        Assert.True(active.Download.WritesWithoutBlobs);
        using (var response = await getter.GetStreamAsync(sdHash))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(bytes, await response.Content.ReadAsByteArrayAsync());
        }

        var file = await getter.WaitForStatusAsync(sdHash, "completed");
        Assert.Equal(TransferNode.Sha256(source), TransferNode.Sha256(file["download_path"]!.GetValue<string>()));
        var storage = getter.Host.Services.GetRequiredService<LbryStorage>();
        var descriptor = new StreamDecryptor(storage).ReadDescriptor(BlobHash.Parse(sdHash));
        Assert.DoesNotContain(descriptor.DataBlobs, blob => storage.Blobs.Contains(blob.BlobHash!.Value) && blob.BlobNum < descriptor.DataBlobCount - 1);
    }

    [Fact]
    public async Task A_seeder_whose_blobs_went_bad_on_disk_finds_them_itself_and_the_file_still_arrives_intact()
    {
        await using var bad = await TransferNode.StartAsync("A", _temp.File("a"));
        await using var good = await TransferNode.StartAsync("C", _temp.File("c"));
        await using var getter = await TransferNode.StartAsync("E", _temp.File("e"));
        var source = TransferNode.WriteRandomFile(_temp.File("data.bin"), 20L * FullBlobPlaintext, seed: 3);
        var sdHash = await bad.ShareAsync(source);
        await good.CallAsync("get", new JsonObject { ["uri"] = sdHash, ["peers"] = new JsonArray(bad.BlobEndPoint.ToString()) });
        await good.WaitForStatusAsync(sdHash, "completed");

        // Flip one byte in every data blob at A, keeping size and modification time: A still offers them, but the
        // flips moved each file's change time, so A hashes each one before serving it and never sends it.
        var descriptor = new Lbry.Streams.StreamDecryptor(bad.Host.Storage).ReadDescriptor(BlobHash.Parse(sdHash));
        foreach (var blob in descriptor.DataBlobs)
        {
            var path = bad.Host.Storage.Blobs.PathOf(blob.BlobHash!.Value);
            var stamp = File.GetLastWriteTimeUtc(path);
            await using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
            {
                stream.Position = 1000;
                stream.WriteByte(0x5a);
            }

            File.SetLastWriteTimeUtc(path, stamp);
        }

        await getter.CallAsync("get", new JsonObject
        {
            ["uri"] = sdHash,
            ["peers"] = new JsonArray(bad.BlobEndPoint.ToString(), good.BlobEndPoint.ToString()),
        });
        var file = await getter.WaitForStatusAsync(sdHash, "completed");

        Assert.Equal(TransferNode.Sha256(source), TransferNode.Sha256(file["download_path"]!.GetValue<string>()));
        // A dropped every flipped blob it was asked for (answering it from its plain file, or as missing), so none
        // reached the getter; the getter's side (a peer that does send bad blobs is dropped) is StreamDownloadTests'.
        var exchange = (await bad.CallAsync("status"))!["blob_exchange"]!;
        var dropped = exchange["damaged_blobs_dropped"]!.GetValue<long>();
        Assert.InRange(dropped, 1, descriptor.DataBlobCount);
        Assert.True(exchange["blob_files_hashed_on_serve"]!.GetValue<long>() >= dropped);
    }
}
