using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SmartShare.Node.Client;
using SmartShare.Node.Tests.Downloads;
using SmartShare.Node.Torrents;
using SmartShare.Tests.Shared;
using Xunit.Abstractions;

namespace SmartShare.Node.Tests.DiskFaults;

/// <summary>
/// A download folder no one may write to, root included (a read-only tmpfs: the tests run as root, whom a folder's
/// mode bits do not stop): the node refuses the get with a sentence naming the folder before it fetches anything,
/// lists nothing, and keeps running.
/// </summary>
public sealed class ReadOnlyFolderTests(ITestOutputHelper output) : IDisposable
{
    private readonly NodeTestDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_get_into_a_read_only_folder_is_refused_before_anything_is_fetched_with_a_sentence_naming_it()
    {
        await using var disk = await SmallDisk.TryMountAsync(_temp.File("read-only"), 1, output.WriteLine, readOnly: true);
        if (disk is null)
        {
            return;
        }

        await using var seeder = await TransferNode.StartAsync("seeder", _temp.File("seeder"));
        await using var getter = await TransferNode.StartAsync("getter", _temp.File("getter"));
        var source = TransferNode.WriteRandomFile(_temp.File("clip.bin"), 3L * 1024 * 1024, seed: 23);
        var sdHash = await seeder.ShareAsync(source);
        var torrentPath = _temp.File("clip.torrent");
        await seeder.CallAsync("stream_create", new JsonObject { ["file_path"] = source, ["torrent"] = true, ["torrent_path"] = torrentPath });

        foreach (var (uri, peer) in new[] { (sdHash, seeder.BlobEndPoint), (torrentPath, BtEndPoint(seeder)) })
        {
            var refused = await Assert.ThrowsAsync<NodeApiException>(() => getter.CallAsync("get", new JsonObject
            {
                ["uri"] = uri,
                ["download_directory"] = disk.Path,
                ["peers"] = new JsonArray(peer.ToString()),
            }));
            output.WriteLine(refused.Message);
            Assert.Contains($"The download folder {disk.Path} cannot be written to", refused.Message, StringComparison.Ordinal);
            Assert.Contains("nothing was fetched", refused.Message, StringComparison.Ordinal);
        }

        Assert.Empty((await getter.CallAsync("file_list"))!["items"]!.AsArray());

        // The node still answers and still downloads into a folder it can write.
        await getter.CallAsync("get", new JsonObject { ["uri"] = sdHash, ["download_directory"] = getter.Downloads, ["peers"] = new JsonArray(seeder.BlobEndPoint.ToString()) });
        var done = await getter.WaitForStatusAsync(sdHash, "completed", TimeSpan.FromSeconds(60));
        Assert.Equal(TransferNode.Sha256(source), TransferNode.Sha256(done["download_path"]!.GetValue<string>()));
    }

    private static IPEndPoint BtEndPoint(TransferNode node) =>
        new(IPAddress.Loopback, node.Host.Services.GetRequiredService<TorrentManager>().ListenEndPoint.Port);
}
