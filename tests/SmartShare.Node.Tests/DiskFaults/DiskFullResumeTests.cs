using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SmartShare.Node.Tests.Downloads;
using SmartShare.Node.Torrents;
using SmartShare.Storage;
using SmartShare.Tests.Shared;
using Xunit.Abstractions;

namespace SmartShare.Node.Tests.DiskFaults;

/// <summary>
/// A download into a folder whose disk fills up (a small tmpfs, <see cref="SmallDisk"/>, filled with a file): real
/// nodes on loopback, real files. The transfer pauses with the sentence naming the folder, and once the filler is
/// deleted it goes on by itself (<c>DiskFullResumer</c>) and completes with the source's bytes.
/// </summary>
public sealed class DiskFullResumeTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    private readonly NodeTestDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_stream_download_paused_by_a_full_disk_goes_on_by_itself_once_space_frees()
    {
        await using var disk = await SmallDisk.TryMountAsync(_temp.File("small-disk"), 16, output.WriteLine);
        if (disk is null)
        {
            return;
        }

        await using var seeder = await TransferNode.StartAsync("seeder", _temp.File("seeder"));
        await using var getter = await TransferNode.StartAsync("getter", _temp.File("getter"));
        var source = TransferNode.WriteRandomFile(_temp.File("clip.bin"), 6L * 1024 * 1024, seed: 18);
        var sdHash = await seeder.ShareAsync(source);
        var filler = disk.Fill(leaveFree: 2L * 1024 * 1024);

        await getter.CallAsync("get", new JsonObject
        {
            ["uri"] = sdHash,
            ["download_directory"] = disk.Path,
            ["peers"] = new JsonArray(seeder.BlobEndPoint.ToString()),
        });
        var paused = await getter.WaitForStatusAsync(sdHash, "stopped", Limit);
        var error = paused["error"]!.GetValue<string>();
        output.WriteLine(error);
        Assert.Equal(DiskErrors.PausedSentence(disk.Path), error);

        // The pause stays a pause while the disk is full (a look every few seconds finds no room).
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.Equal("stopped", (await getter.FileAsync(sdHash))["status"]!.GetValue<string>());

        File.Delete(filler);
        var done = await getter.WaitForStatusAsync(sdHash, "completed", Limit);
        Assert.Equal(TransferNode.Sha256(source), TransferNode.Sha256(done["download_path"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_torrent_download_paused_by_a_full_disk_keeps_its_pieces_and_goes_on_by_itself_once_space_frees()
    {
        await using var disk = await SmallDisk.TryMountAsync(_temp.File("small-disk"), 16, output.WriteLine);
        if (disk is null)
        {
            return;
        }

        await using var seeder = await TransferNode.StartAsync("seeder", _temp.File("seeder"));
        await using var leecher = await TransferNode.StartAsync("leecher", _temp.File("leecher"));
        var source = TransferNode.WriteRandomFile(_temp.File("clip.bin"), (8L * 1024 * 1024) + 333, seed: 19);
        var torrentPath = _temp.File("clip.torrent");
        var shared = await seeder.CallAsync("stream_create", new JsonObject { ["file_path"] = source, ["torrent"] = true, ["torrent_path"] = torrentPath });
        var infoHash = shared!["info_hash"]!.GetValue<string>();
        var filler = disk.Fill(leaveFree: 3L * 1024 * 1024);

        await leecher.CallAsync("get", new JsonObject
        {
            ["uri"] = torrentPath,
            ["download_directory"] = disk.Path,
            ["peers"] = new JsonArray(BtEndPoint(seeder).ToString()),
        });
        var paused = await WaitForTorrentAsync(leecher, infoHash, item => item["status"]!.GetValue<string>() == "stopped");
        var error = paused["error"]!.GetValue<string>();
        output.WriteLine(error);
        Assert.True(DiskErrors.TryGetPausedFolder(error, out var folder), error);
        Assert.Equal(disk.Path, folder);

        File.Delete(filler);
        var done = await WaitForTorrentAsync(leecher, infoHash, item => item["status"]!.GetValue<string>() == "completed");
        Assert.Equal(TransferNode.Sha256(source), TransferNode.Sha256(done["download_path"]!.GetValue<string>()));
    }

    private static IPEndPoint BtEndPoint(TransferNode node) =>
        new(IPAddress.Loopback, node.Host.Services.GetRequiredService<TorrentManager>().ListenEndPoint.Port);

    private static async Task<JsonObject> WaitForTorrentAsync(TransferNode node, string infoHash, Func<JsonObject, bool> condition)
    {
        using var timeout = new CancellationTokenSource(Limit);
        while (true)
        {
            var list = await node.CallAsync("file_list", new JsonObject { ["info_hash"] = infoHash });
            var item = (JsonObject)list!["items"]!.AsArray().Single()!;
            if (condition(item))
            {
                return item;
            }

            Assert.NotEqual("failed", item["status"]!.GetValue<string>());
            await Task.Delay(100, timeout.Token);
        }
    }
}
