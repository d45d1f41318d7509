using System.Text.Json.Nodes;
using SmartShare.Lbry.Blobs;
using SmartShare.Tests.Shared;
using Xunit.Abstractions;

namespace SmartShare.Node.Tests.Downloads;

/// <summary>
/// A download into a folder on a full disk: a 4 MiB tmpfs (<see cref="SmallDisk"/>, which says when it cannot
/// mount one and the test checks nothing).
/// </summary>
public sealed class DiskFullTests(ITestOutputHelper output) : IDisposable
{
    private const int FullBlobPlaintext = 2_097_151;

    private readonly NodeTestDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_full_download_disk_pauses_the_download_with_a_sentence_and_keeps_no_partial_file()
    {
        await using var disk = await SmallDisk.TryMountAsync(_temp.File("small-disk"), 4, output.WriteLine);
        if (disk is null)
        {
            return;
        }

        var mountPoint = disk.Path;
        await using var seeder = await TransferNode.StartAsync("A", _temp.File("a"));
        await using var getter = await TransferNode.StartAsync("B", _temp.File("b"));
        var source = TransferNode.WriteRandomFile(_temp.File("big.bin"), 4L * FullBlobPlaintext, seed: 9);
        var sdHash = await seeder.ShareAsync(source);

        await getter.CallAsync("get", new JsonObject
        {
            ["uri"] = sdHash,
            ["download_directory"] = mountPoint,
            ["peers"] = new JsonArray(seeder.BlobEndPoint.ToString()),
        });
        var file = await getter.WaitForStatusAsync(sdHash, "stopped");

        Assert.Matches("(?i)disk.* full", file["error"]!.GetValue<string>());
        Assert.Empty(Directory.EnumerateFileSystemEntries(mountPoint));
        var descriptor = new Lbry.Streams.StreamDecryptor(getter.Host.Storage).ReadDescriptor(BlobHash.Parse(sdHash));
        // The blobs that arrived stay (verified) for the resume; those still in flight when it paused do not.
        var kept = descriptor.DataBlobs.Where(blob => getter.Host.Storage.Blobs.TryGetLength(blob.BlobHash!.Value) is not null).ToList();
        Assert.True(kept.Count >= 2, $"Only {kept.Count} blobs were kept.");
        var buffer = new byte[BlobStore.MaxBlobSize];
        Assert.All(kept, blob => Assert.Equal(blob.Length, getter.Host.Storage.Blobs.Read(blob.BlobHash!.Value, buffer, verify: true)));
    }
}
