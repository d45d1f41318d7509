using System.Text.Json.Nodes;
using SmartShare.Node.Tests.Downloads;

namespace SmartShare.Node.Tests.Remote;

/// <summary>
/// Transmission's file selection over the RPC between two of our nodes: torrent-add with files-unwanted, the
/// wanted, priorities, fileStats, sizeWhenDone and leftUntilDone fields, then torrent-set files-wanted and priority-high.
/// </summary>
public sealed class TransmissionFileSelectionTests : IDisposable
{
    private readonly NodeTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Files_unwanted_at_add_are_not_created_and_files_wanted_later_complete()
    {
        await using var seeder = await TransferNode.StartAsync("seeder", _directory.File("seeder"));
        await using var leecher = await TransferNode.StartAsync("leecher", _directory.File("leecher"));
        var folder = Directory.CreateDirectory(_directory.File("sources/pack")).FullName;
        var lengths = new long[] { 300_001, 200_003, 100_005 };
        for (var i = 0; i < lengths.Length; i++)
        {
            TransferNode.WriteRandomFile(Path.Combine(folder, $"f{i}.bin"), lengths[i], seed: 40 + i);
        }

        var torrentPath = _directory.File("pack.torrent");
        var shared = (JsonObject)(await seeder.CallAsync("stream_create", new JsonObject
        {
            ["file_path"] = folder,
            ["torrent"] = true,
            ["torrent_path"] = torrentPath,
            ["advertise"] = new JsonArray("127.0.0.1"),
        }))!;
        var client = new TransmissionTestClient(leecher.Host.ApiUri);

        var added = await client.SucceedAsync("torrent-add", new JsonObject
        {
            ["filename"] = shared["magnet"]!.GetValue<string>(),
            ["files-unwanted"] = new JsonArray(0),
            ["priority-low"] = new JsonArray(2),
        });
        var id = added["torrent-added"]!["id"]!.GetValue<int>();
        var done = await client.WaitForAsync(
            id,
            t => t["status"]!.GetValue<int>() == 6,
            "files 1 and 2 download",
            "wanted", "priorities", "fileStats", "files", "sizeWhenDone", "leftUntilDone", "totalSize", "percentDone", "desiredAvailable");
        Assert.Equal([0, 1, 1], done["wanted"]!.AsArray().Select(w => w!.GetValue<int>()));
        Assert.Equal([0, 0, -1], done["priorities"]!.AsArray().Select(p => p!.GetValue<int>()));
        var stats = done["fileStats"]!.AsArray();
        Assert.False(stats[0]!["wanted"]!.GetValue<bool>());
        Assert.Equal(lengths[1], stats[1]!["bytesCompleted"]!.GetValue<long>());
        Assert.Equal(lengths.Sum(), done["totalSize"]!.GetValue<long>());
        Assert.InRange(done["sizeWhenDone"]!.GetValue<long>(), lengths[1] + lengths[2], lengths.Sum() - 1);
        Assert.Equal(0, done["leftUntilDone"]!.GetValue<long>());
        Assert.Equal(1.0, done["percentDone"]!.GetValue<double>());
        Assert.Equal(0, done["desiredAvailable"]!.GetValue<long>());

        var root = Path.Combine(leecher.Downloads, "pack");
        Assert.False(File.Exists(Path.Combine(root, "f0.bin")) || File.Exists(Path.Combine(root, "f0.bin.part")), "an unwanted file was created");
        Assert.Equal(TransferNode.Sha256(Path.Combine(folder, "f1.bin")), TransferNode.Sha256(Path.Combine(root, "f1.bin")));

        await client.SucceedAsync("torrent-set", new JsonObject { ["ids"] = id, ["files-wanted"] = new JsonArray(0), ["priority-high"] = new JsonArray(0) });
        var whole = await client.WaitForAsync(
            id, t => t["status"]!.GetValue<int>() == 6 && t["sizeWhenDone"]!.GetValue<long>() == lengths.Sum(), "file 0 too", "wanted", "priorities", "sizeWhenDone");
        Assert.Equal([1, 1, 1], whole["wanted"]!.AsArray().Select(w => w!.GetValue<int>()));
        Assert.Equal([1, 0, -1], whole["priorities"]!.AsArray().Select(p => p!.GetValue<int>()));
        for (var i = 0; i < lengths.Length; i++)
        {
            Assert.Equal(TransferNode.Sha256(Path.Combine(folder, $"f{i}.bin")), TransferNode.Sha256(Path.Combine(root, $"f{i}.bin")));
        }

        Assert.Empty(Directory.EnumerateFiles(leecher.Downloads, "*.parts"));
    }
}
