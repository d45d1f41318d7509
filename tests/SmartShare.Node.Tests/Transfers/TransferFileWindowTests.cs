using System.Text.Json.Nodes;
using SmartShare.Node.Client;
using SmartShare.Node.Tests.Downloads;

namespace SmartShare.Node.Tests.Transfers;

/// <summary>
/// A torrent may hold 100,000 files: a view lists a window of them (the first 1,000 unless asked) with
/// <c>file_count</c>, so polling a huge torrent's progress never builds every file's JSON (issue 18: such a torrent
/// made each `get` poll cost hundreds of MiB).
/// </summary>
public sealed class TransferFileWindowTests : IDisposable
{
    private const int FileCount = 1_500;
    private readonly NodeTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_view_lists_a_window_of_a_torrents_files_and_says_how_many_there_are()
    {
        await using var node = await TransferNode.StartAsync("node", _directory.File("node"));
        var folder = Directory.CreateDirectory(_directory.File("many")).FullName;
        for (var i = 0; i < FileCount; i++)
        {
            await File.WriteAllTextAsync(Path.Combine(folder, $"f{i:D5}.txt"), $"file {i}\n");
        }

        var shared = (await node.CallAsync("stream_create", new JsonObject { ["file_path"] = folder, ["torrent"] = true }))!;
        var key = shared["info_hash"]!.GetValue<string>();

        var first = await ItemAsync(node, new JsonObject { ["key"] = key });
        Assert.Equal(FileCount, first["file_count"]!.GetValue<int>());
        var listed = first["files"]!.AsArray();
        Assert.Equal(1_000, listed.Count);
        Assert.Equal(0, listed[0]!["index"]!.GetValue<int>());
        Assert.Equal(0, first["files_offset"]!.GetValue<int>());

        var rest = await ItemAsync(node, new JsonObject { ["key"] = key, ["files_offset"] = 1_000, ["files_limit"] = 1_000 });
        var tail = rest["files"]!.AsArray().Cast<JsonObject>().ToList();
        Assert.Equal(Enumerable.Range(1_000, FileCount - 1_000), tail.Select(file => file["index"]!.GetValue<int>()));
        Assert.Equal("f01499.txt", tail[^1]["path"]!.GetValue<string>());
        Assert.EndsWith($"/{key}/1499", tail[^1]["streaming_url"]!.GetValue<string>(), StringComparison.Ordinal);

        var none = await ItemAsync(node, new JsonObject { ["key"] = key, ["files_limit"] = 0 });
        Assert.Empty(none["files"]!.AsArray());
        Assert.Equal(FileCount, none["file_count"]!.GetValue<int>());

        var all = await ItemAsync(node, new JsonObject { ["key"] = key, ["files_limit"] = 100_000 });
        Assert.Equal(FileCount, all["files"]!.AsArray().Count);
        Assert.Null(all["files_offset"]);

        var tooMany = await Assert.ThrowsAsync<NodeApiException>(() => node.CallAsync("file_list", new JsonObject { ["key"] = key, ["files_limit"] = 100_001 }));
        Assert.Contains("files_limit", tooMany.Message, StringComparison.Ordinal);
        var negative = await Assert.ThrowsAsync<NodeApiException>(() => node.CallAsync("file_list", new JsonObject { ["key"] = key, ["files_offset"] = -1 }));
        Assert.Contains("files_offset", negative.Message, StringComparison.Ordinal);
    }

    private static async Task<JsonObject> ItemAsync(TransferNode node, JsonObject parameters) =>
        (await node.CallAsync("file_list", parameters))!["items"]!.AsArray().Single()!.AsObject();
}
