using System.Text.Json;
using SmartShare.Cli.Tests.Support;

namespace SmartShare.Cli.Tests.Commands;

public sealed class BlobsCommandTests
{
    private const int TwoBlobs = 2_097_151 + 40_000;

    [Fact]
    public async Task Verify_on_a_clean_store_reports_all_good_and_exits_0()
    {
        using var workspace = new CliWorkspace(keepStreamBlobs: true);
        var sdHash = await workspace.ShareForSdHashAsync(workspace.CreateRandomFile("clean.bin", TwoBlobs));

        var verified = (await workspace.RunAsync("blobs", "verify", "--json")).ShouldSucceedWithJson();

        Assert.Equal(3, verified.GetProperty("checked").GetInt32());
        Assert.True(verified.GetProperty("ok").GetBoolean());
        Assert.Empty(Strings(verified, "corrupt"));
        Assert.Empty(Strings(verified, "missing"));
        Assert.Empty(Strings(verified, "added"));
        Assert.True(verified.GetProperty("seconds").GetDouble() >= 0);
        Assert.True(File.Exists(workspace.BlobPath(sdHash)));
        Assert.Equal(3, workspace.BlobFolderFileNames().Count);
    }

    [Fact]
    public async Task Verify_finds_a_blob_damaged_in_place_with_size_and_timestamp_kept_and_deletes_it()
    {
        using var workspace = new CliWorkspace(keepStreamBlobs: true);
        var sdHash = await workspace.ShareForSdHashAsync(workspace.CreateRandomFile("rot.bin", TwoBlobs));
        var damaged = workspace.DataBlobHashes(sdHash)[0];
        CliWorkspace.DamageInPlace(workspace.BlobPath(damaged), keepTimestamp: true);

        // Opening the store only re-hashes files whose size or time changed, so this damage is invisible to it.
        var listed = (await workspace.RunAsync("blobs", "list", "--json")).ShouldSucceedWithJson();
        Assert.Contains(damaged, listed.GetProperty("blobs").EnumerateArray().Select(blob => blob.GetProperty("blob_hash").GetString()));

        var result = await workspace.RunAsync("blobs", "verify", "--json");

        result.ShouldExitWith(1);
        Assert.Single(result.OutputLines);
        var verified = result.LastLineAsJson();
        Assert.False(verified.GetProperty("ok").GetBoolean());
        Assert.Equal([damaged], Strings(verified, "corrupt"));
        Assert.Empty(Strings(verified, "missing"));
        Assert.Equal(3, verified.GetProperty("checked").GetInt32());
        Assert.False(File.Exists(workspace.BlobPath(damaged)), "verify should delete the damaged blob file.");
        Assert.Equal(2, workspace.BlobFolderFileNames().Count);
        result.ShouldShowNoStackTrace();

        // Damaged blobs are forgotten as well as deleted, so the next verify is clean.
        var again = (await workspace.RunAsync("blobs", "verify", "--json")).ShouldSucceedWithJson();
        Assert.True(again.GetProperty("ok").GetBoolean());
        Assert.Equal(2, again.GetProperty("checked").GetInt32());
    }

    [Fact]
    public async Task Verify_reports_a_deleted_blob_as_missing_and_exits_1()
    {
        using var workspace = new CliWorkspace(keepStreamBlobs: true);
        var sdHash = await workspace.ShareForSdHashAsync(workspace.CreateRandomFile("lost.bin", TwoBlobs));
        var deleted = workspace.DataBlobHashes(sdHash)[1];
        File.Delete(workspace.BlobPath(deleted));

        var result = await workspace.RunAsync("blobs", "verify", "--json");

        result.ShouldExitWith(1);
        Assert.Single(result.OutputLines);
        var verified = result.LastLineAsJson();
        Assert.False(verified.GetProperty("ok").GetBoolean());
        Assert.Equal([deleted], Strings(verified, "missing"));
        Assert.Empty(Strings(verified, "corrupt"));
        Assert.Equal(2, verified.GetProperty("checked").GetInt32());
    }

    [Fact]
    public async Task A_one_off_node_warns_on_the_error_stream_of_a_blob_file_gone_since_the_last_run()
    {
        using var workspace = new CliWorkspace(keepStreamBlobs: true);
        var sdHash = await workspace.ShareForSdHashAsync(workspace.CreateRandomFile("gone.bin", TwoBlobs));
        var deleted = workspace.DataBlobHashes(sdHash)[0];
        File.Delete(workspace.BlobPath(deleted));

        var result = await workspace.RunAsync("blobs", "list", "--json");

        var listed = result.ShouldSucceedWithJson();
        Assert.DoesNotContain(deleted, listed.GetProperty("blobs").EnumerateArray().Select(blob => blob.GetProperty("blob_hash").GetString()));
        Assert.Contains(result.ErrorLines, line => line.Contains($"Blob {deleted} is missing from", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_valid_blob_file_dropped_into_a_fresh_store_is_adopted()
    {
        using var publisher = new CliWorkspace(keepStreamBlobs: true);
        using var fresh = new CliWorkspace(keepStreamBlobs: true);
        var sdHash = await publisher.ShareForSdHashAsync(publisher.CreateRandomFile("adopt.bin", 50_000));
        var blob = Assert.Single(publisher.DataBlobHashes(sdHash));
        Directory.CreateDirectory(fresh.BlobDirectory);
        File.Copy(publisher.BlobPath(blob), fresh.BlobPath(blob));

        var verified = (await fresh.RunAsync("blobs", "verify", "--json")).ShouldSucceedWithJson();

        Assert.True(verified.GetProperty("ok").GetBoolean());
        Assert.Equal([blob], Strings(verified, "added"));
        Assert.Equal(1, verified.GetProperty("checked").GetInt32());
        var listed = (await fresh.RunAsync("blobs", "list", "--json")).ShouldSucceedWithJson();
        var entry = Assert.Single(listed.GetProperty("blobs").EnumerateArray());
        Assert.Equal(blob, entry.GetProperty("blob_hash").GetString());
        Assert.Equal(new FileInfo(fresh.BlobPath(blob)).Length, entry.GetProperty("length").GetInt64());
    }

    [Fact]
    public async Task A_file_named_like_a_blob_whose_bytes_do_not_match_is_deleted_as_corrupt()
    {
        using var workspace = new CliWorkspace(keepStreamBlobs: true);
        Directory.CreateDirectory(workspace.BlobDirectory);
        var impostor = Convert.ToHexStringLower(System.Security.Cryptography.SHA384.HashData("the real content"u8));
        File.WriteAllText(workspace.BlobPath(impostor), "other content");

        var result = await workspace.RunAsync("blobs", "verify", "--json");

        result.ShouldExitWith(1);
        var verified = result.LastLineAsJson();
        Assert.False(verified.GetProperty("ok").GetBoolean());
        Assert.Equal([impostor], Strings(verified, "corrupt"));
        Assert.Empty(Strings(verified, "added"));
        Assert.False(File.Exists(workspace.BlobPath(impostor)));
    }

    [Fact]
    public async Task List_shows_every_blob_file_with_its_length()
    {
        using var workspace = new CliWorkspace(keepStreamBlobs: true);
        await workspace.ShareForSdHashAsync(workspace.CreateRandomFile("listed.bin", TwoBlobs));

        var listed = (await workspace.RunAsync("blobs", "list", "--json")).ShouldSucceedWithJson();

        var entries = listed.GetProperty("blobs").EnumerateArray()
            .Select(blob => (Hash: blob.GetProperty("blob_hash").GetString()!, Length: blob.GetProperty("length").GetInt64()))
            .OrderBy(blob => blob.Hash, StringComparer.Ordinal)
            .ToList();
        Assert.Equal(workspace.BlobFolderFileNames(), entries.Select(entry => entry.Hash));
        foreach (var (hash, length) in entries)
        {
            Assert.Equal(new FileInfo(workspace.BlobPath(hash)).Length, length);
        }
    }

    [Fact]
    public async Task List_on_an_empty_store_is_an_empty_array()
    {
        using var workspace = new CliWorkspace(keepStreamBlobs: true);

        var listed = (await workspace.RunAsync("blobs", "list", "--json")).ShouldSucceedWithJson();

        Assert.Empty(listed.GetProperty("blobs").EnumerateArray());
    }

    private static List<string> Strings(JsonElement result, string property) =>
        result.GetProperty(property).EnumerateArray().Select(item => item.GetString()!).ToList();
}
