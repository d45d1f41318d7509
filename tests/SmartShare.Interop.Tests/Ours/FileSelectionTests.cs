using System.Text.Json.Nodes;
using SmartShare.Interop.Tests.Clients;

namespace SmartShare.Interop.Tests.Ours;

/// <summary>File selection against a real libtorrent seeder: two of five files, then a third.</summary>
public sealed class FileSelectionTests : IDisposable
{
    private readonly InteropDirectory _directory = new();

    // Lengths off the 32 KiB piece boundaries, so wanted and unwanted files share pieces at every border.
    private static Dictionary<string, long> Pack() => new()
    {
        ["a.bin"] = 200_003,
        ["b.bin"] = 150_001,
        ["docs/c.txt"] = 90_017,
        ["docs/d.txt"] = 300_009,
        ["e.bin"] = 120_011,
    };

    [Fact]
    public async Task Our_node_downloads_two_of_five_files_libtorrent_seeds_then_a_third_when_wanted()
    {
        var seedFolder = _directory.Folder("seed");
        var content = TestFiles.WriteRandomTree(Path.Combine(seedFolder, "pack"), Pack());
        var torrent = await MkTorrent.CreateAsync(content, _directory.File("pack.torrent"), pieceLengthLog2: 15);
        var infoHash = MkTorrent.InfoHashOf(torrent).ToString();
        await using var seeder = await LibtorrentPeer.StartListeningAsync(new LibtorrentOptions { Seed = true, TorrentPath = torrent, SavePath = seedFolder });
        await seeder.WaitForFinishedAsync(TimeSpan.FromSeconds(15));

        await using var node = await OurNode.StartAsync(_directory.Folder("ours"));
        var answer = (JsonObject)(await node.CallAsync("get", new JsonObject
        {
            ["uri"] = torrent,
            ["peers"] = new JsonArray(seeder.Endpoint.ToString()),
            ["files"] = "1,3",
        }))!;
        var files = answer["files"]!.AsArray();
        Assert.Equal(5, files.Count);
        var paths = files.Select(f => f!["path"]!.GetValue<string>()).ToList();
        var wantedPaths = new[] { paths[1], paths[3] };
        Assert.Equal([false, true, false, true, false], files.Select(f => f!["wanted"]!.GetValue<bool>()));
        Assert.Equal("off", files[0]!["priority"]!.GetValue<string>());

        var done = await node.WaitForCompletedAsync(infoHash, TimeSpan.FromSeconds(60), seeder.Describe);
        var root = Path.Combine(node.Downloads, "pack");
        var side = $".{infoHash}.parts";
        AssertOnly(node.Downloads, [side, .. wantedPaths.Select(p => Path.Combine("pack", p))]);
        foreach (var path in wantedPaths)
        {
            AssertSame(Path.Combine(content, path), Path.Combine(root, path));
        }

        // Progress counts the wanted files' pieces; the torrent's size stays whole.
        var total = Pack().Values.Sum();
        Assert.Equal(total, done["total_length"]!.GetValue<long>());
        var sizeWhenDone = done["size_when_done"]!.GetValue<long>();
        Assert.InRange(sizeWhenDone, 150_001 + 300_009, total - 1);
        Assert.Equal(1.0, done["progress"]!["fraction"]!.GetValue<double>());

        // A third file: downloaded again, completed, byte for byte.
        var changed = await node.CallAsync("file_set_files", new JsonObject { ["key"] = infoHash, ["wanted"] = new JsonArray(4) });
        Assert.True(changed!["files"]![4]!["wanted"]!.GetValue<bool>());
        await node.WaitForCompletedAsync(infoHash, TimeSpan.FromSeconds(60), seeder.Describe);
        wantedPaths = [paths[1], paths[3], paths[4]];
        foreach (var path in wantedPaths)
        {
            AssertSame(Path.Combine(content, path), Path.Combine(root, path));
        }

        // Files a and c stay unwanted, so the side file still holds the bytes of their pieces shared with b and d.
        AssertOnly(node.Downloads, [side, .. wantedPaths.Select(p => Path.Combine("pack", p))]);

        // An index past the last file is refused with a sentence.
        var error = await Assert.ThrowsAnyAsync<Exception>(() => node.CallAsync("file_set_files", new JsonObject { ["key"] = infoHash, ["wanted"] = "7" }));
        Assert.Contains("5 files", error.Message, StringComparison.Ordinal);

        // Changes sent at once (the web UI's checkbox and priority select) all land: none overwrites another.
        await Task.WhenAll(
            node.CallAsync("file_set_files", new JsonObject { ["key"] = infoHash, ["priority_high"] = new JsonArray(1) }),
            node.CallAsync("file_set_files", new JsonObject { ["key"] = infoHash, ["priority_low"] = new JsonArray(3) }),
            node.CallAsync("file_set_files", new JsonObject { ["key"] = infoHash, ["priority_high"] = new JsonArray(4) }),
            node.CallAsync("file_set_files", new JsonObject { ["key"] = infoHash, ["sequential"] = true }));
        var listed = (await node.CallAsync("file_list", new JsonObject { ["info_hash"] = infoHash }))!["items"]![0]!;
        Assert.Equal(["off", "high", "off", "low", "high"], listed["files"]!.AsArray().Select(f => f!["priority"]!.GetValue<string>()));
    }

    private static void AssertOnly(string folder, IEnumerable<string> expected)
    {
        var actual = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(folder, f)).Order(StringComparer.Ordinal);
        Assert.Equal(expected.Order(StringComparer.Ordinal), actual);
    }

    private static void AssertSame(string expected, string actual) =>
        Assert.True(File.ReadAllBytes(expected).AsSpan().SequenceEqual(File.ReadAllBytes(actual)), $"{actual} differs from {expected}");

    public void Dispose() => _directory.Dispose();
}
