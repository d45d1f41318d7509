using System.Text.Json.Nodes;
using SmartShare.Node.Client;
using SmartShare.Node.Shares;

namespace SmartShare.Node.Tests.Downloads;

/// <summary>
/// What the CLI needs from the API now that it never opens a store itself: <c>file_save</c> (a stream's file from
/// local blobs alone), <c>stream_create</c> naming the ports of a node started later, errors that say their kind, and
/// <c>blob_verify</c>. Against a real node on a real data directory.
/// </summary>
public sealed class CommandLineRpcTests : IAsyncLifetime, IDisposable
{
    private const int TwoBlobs = 2_097_151 + 10_000;

    private readonly NodeTestDirectory _directory = new();
    private TestNode? _node;

    private TestNode Node => _node ?? throw new InvalidOperationException("The node has not started.");

    public async Task InitializeAsync() => _node = await TestNode.StartAsync(_directory.File("node"), flags: TestNode.LoopbackFlags());

    [Fact]
    public async Task File_save_writes_a_fresh_copy_of_a_held_stream_each_time_and_lists_nothing_new()
    {
        var source = WriteSource("song.ogg", TwoBlobs);
        var sdHash = (await Node.CallAsync("stream_create", new JsonObject { ["file_path"] = source }))!["sd_hash"]!.GetValue<string>();
        var folder = _directory.File("saved");

        var first = await Node.CallAsync("file_save", new JsonObject { ["uri"] = sdHash, ["download_directory"] = folder });
        var second = await Node.CallAsync("file_save", new JsonObject { ["uri"] = sdHash, ["download_directory"] = folder });

        Assert.Equal(Path.Combine(folder, "song.ogg"), first!["download_path"]!.GetValue<string>());
        Assert.Equal(Path.Combine(folder, "song_1.ogg"), second!["download_path"]!.GetValue<string>());
        Assert.Equal(2, first["blobs_in_stream"]!.GetValue<int>());
        Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(first["download_path"]!.GetValue<string>()));
        var listed = await Node.CallAsync("file_list");
        Assert.Single(listed!["items"]!.AsArray());
    }

    [Fact]
    public async Task File_save_with_a_data_blob_missing_fails_with_kind_missing_blob_before_writing_anything()
    {
        var source = WriteSource("lecture.webm", TwoBlobs);
        var created = await Node.CallAsync("stream_create", new JsonObject { ["file_path"] = source });
        var sdHash = created!["sd_hash"]!.GetValue<string>();
        var blobs = (await Node.CallAsync("blob_list", new JsonObject { ["page_size"] = 10 }))!["items"]!.AsArray()
            .Select(item => item!["blob_hash"]!.GetValue<string>())
            .Where(hash => hash != sdHash)
            .ToList();
        var removed = blobs[1];
        File.Delete(Path.Combine(Node.DataDirectory, "blobs", removed));

        // With its source file gone too, nothing can rebuild the blob (file_save would otherwise copy the plain file).
        File.Delete(source);
        var verified = await Node.CallAsync("blob_verify");
        Assert.Contains(removed, verified!["missing"]!.AsArray().Select(item => item!.GetValue<string>()));
        var folder = _directory.File("saved");

        var error = await Assert.ThrowsAsync<NodeApiException>(() => Node.CallAsync("file_save", new JsonObject { ["uri"] = sdHash, ["download_directory"] = folder }));

        Assert.Equal("missing_blob", error.Kind);
        Assert.Contains(removed, error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any(), "file_save wrote something for a stream it cannot rebuild.");
    }

    [Fact]
    public async Task File_save_of_a_stream_not_held_fails_with_kind_missing_blob()
    {
        var unknown = Convert.ToHexStringLower(System.Security.Cryptography.SHA384.HashData("nobody shared this"u8));

        var error = await Assert.ThrowsAsync<NodeApiException>(() => Node.CallAsync("file_save", new JsonObject { ["uri"] = unknown }));

        Assert.Equal("missing_blob", error.Kind);
        Assert.Contains(unknown, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stream_create_of_a_missing_file_says_bad_source_and_of_a_bad_advertise_says_bad_input()
    {
        var missing = await Assert.ThrowsAsync<NodeApiException>(() => Node.CallAsync("stream_create", new JsonObject { ["file_path"] = _directory.File("not-there.bin") }));
        var badAdvertise = await Assert.ThrowsAsync<NodeApiException>(() => Node.CallAsync(
            "stream_create",
            new JsonObject { ["file_path"] = WriteSource("a.bin", 1000), ["advertise"] = new JsonArray("255.255.255.255") }));

        Assert.Equal("bad_source", missing.Kind);
        Assert.Equal("bad_input", badAdvertise.Kind);
    }

    [Fact]
    public async Task Stream_create_names_the_advertised_ports_instead_of_its_own()
    {
        var source = WriteSource("talk.opus", 50_000);
        var sharePath = _directory.File("talk.smartshare");

        var created = await Node.CallAsync("stream_create", new JsonObject
        {
            ["file_path"] = source,
            ["advertise"] = new JsonArray("198.51.100.7"),
            ["smartshare_path"] = sharePath,
            ["torrent"] = true,
            ["torrent_path"] = _directory.File("talk.torrent"),
            ["advertise_port"] = 4444,
            ["advertise_bt_port"] = 6881,
            ["advertise_bt_dht"] = true,
        });

        var magnet = created!["magnet"]!.GetValue<string>();
        Assert.Contains("x.pe=198.51.100.7:6881", magnet, StringComparison.Ordinal);
        Assert.Contains("dht=198.51.100.7:6881", magnet, StringComparison.Ordinal);
        var share = SmartShareFileReader.Read(sharePath);
        var contact = Assert.Single(share.Contacts);
        Assert.Equal("198.51.100.7:4444", contact.Blob?.ToString());
    }

    public async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
    }

    public void Dispose() => _directory.Dispose();

    private string WriteSource(string name, int length)
    {
        var path = _directory.File(name);
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
