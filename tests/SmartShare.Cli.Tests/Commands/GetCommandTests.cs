using SmartShare.Cli.Tests.Support;

namespace SmartShare.Cli.Tests.Commands;

public sealed class GetCommandTests
{
    private const int TwoBlobs = 2_097_151 + 70_000;

    [Theory]
    [InlineData("clip.mp4", "clip_1.mp4", "clip_2.mp4")]
    [InlineData("README", "README_1", "README_2")]
    public async Task A_name_clash_gets_a_numbered_name_and_never_overwrites(string name, string firstNumbered, string secondNumbered)
    {
        using var workspace = new CliWorkspace();
        var source = workspace.CreateRandomFile(name, 10_000);
        var sdHash = await workspace.ShareForSdHashAsync(source);
        Directory.CreateDirectory(workspace.DownloadDirectory);
        var existing = Path.Combine(workspace.DownloadDirectory, name);
        File.WriteAllText(existing, "the user's own file, not to be touched");
        var existingHash = CliWorkspace.Sha256Of(existing);

        var first = await workspace.GetAsync(sdHash);
        var second = await workspace.GetAsync(sdHash);

        Assert.Equal(Path.Combine(workspace.DownloadDirectory, firstNumbered), first.GetProperty("path").GetString());
        Assert.Equal(firstNumbered, first.GetProperty("name").GetString());
        Assert.Equal(Path.Combine(workspace.DownloadDirectory, secondNumbered), second.GetProperty("path").GetString());
        Assert.Equal(secondNumbered, second.GetProperty("name").GetString());
        Assert.Equal(existingHash, CliWorkspace.Sha256Of(existing));
        Assert.Equal(CliWorkspace.Sha256Of(source), CliWorkspace.Sha256Of(Path.Combine(workspace.DownloadDirectory, firstNumbered)));
        Assert.Equal(CliWorkspace.Sha256Of(source), CliWorkspace.Sha256Of(Path.Combine(workspace.DownloadDirectory, secondNumbered)));
        Assert.Equal(new[] { name, firstNumbered, secondNumbered }.Order(StringComparer.Ordinal), workspace.DownloadFolderEntries());
    }

    [Fact]
    public async Task Get_creates_a_download_folder_that_does_not_exist_yet()
    {
        using var workspace = new CliWorkspace();
        var source = workspace.CreateRandomFile("deep.bin", 20_000);
        var sdHash = await workspace.ShareForSdHashAsync(source);
        var nested = Path.Combine(workspace.Root, "new", "nested", "folder");

        var got = await workspace.GetAsync(sdHash, nested);

        Assert.Equal(Path.Combine(nested, "deep.bin"), got.GetProperty("path").GetString());
        Assert.Equal(CliWorkspace.Sha256Of(source), CliWorkspace.Sha256Of(Path.Combine(nested, "deep.bin")));
    }

    [Fact]
    public async Task Without_download_dir_the_file_goes_to_Downloads_in_the_home_folder()
    {
        using var workspace = new CliWorkspace();
        var source = workspace.CreateRandomFile("default.bin", 20_000);
        var sdHash = await workspace.ShareForSdHashAsync(source);

        var got = (await workspace.RunAsync("get", sdHash, "--json")).ShouldSucceedWithJson();

        var expected = Path.Combine(workspace.Home, "Downloads", "default.bin");
        Assert.Equal(expected, got.GetProperty("path").GetString());
        Assert.Equal(CliWorkspace.Sha256Of(source), CliWorkspace.Sha256Of(expected));
    }

    [Fact]
    public async Task Get_rebuilds_from_blob_files_copied_into_a_fresh_data_directory()
    {
        using var publisher = new CliWorkspace(keepStreamBlobs: true);
        using var receiver = new CliWorkspace();
        var source = publisher.CreateRandomFile("moved.bin", TwoBlobs);
        var sdHash = await publisher.ShareForSdHashAsync(source);
        Directory.CreateDirectory(receiver.BlobDirectory);
        foreach (var name in publisher.BlobFolderFileNames())
        {
            File.Copy(publisher.BlobPath(name), receiver.BlobPath(name));
        }

        var got = await receiver.GetAsync(sdHash);

        Assert.Equal(CliWorkspace.Sha256Of(source), CliWorkspace.Sha256Of(got.GetProperty("path").GetString()!));
        Assert.Equal(TwoBlobs, got.GetProperty("size").GetInt64());
        Assert.Equal(2, got.GetProperty("blobs").GetInt32());
    }

    [Theory]
    [InlineData("xyz")]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde")]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0")]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg")]
    public async Task An_sd_hash_that_is_not_96_hex_digits_is_bad_input_with_exit_code_2(string sdHash)
    {
        using var workspace = new CliWorkspace();
        Directory.CreateDirectory(workspace.DownloadDirectory);

        var result = await workspace.RunAsync("get", sdHash, "--download-dir", workspace.DownloadDirectory, "--json");

        var message = result.ShouldFailWith(2, "bad_input");
        Assert.Contains("hex", message, StringComparison.Ordinal);
        Assert.Empty(workspace.DownloadFolderEntries());
    }

    [Fact]
    public async Task An_unknown_sd_hash_fails_with_missing_blob_naming_the_hash()
    {
        using var workspace = new CliWorkspace();
        var unknown = Convert.ToHexStringLower(System.Security.Cryptography.SHA384.HashData("nobody shared this"u8));
        Directory.CreateDirectory(workspace.DownloadDirectory);

        var result = await workspace.RunAsync("get", unknown, "--download-dir", workspace.DownloadDirectory, "--json");

        var message = result.ShouldFailWith(1, "missing_blob");
        Assert.Contains(unknown, message, StringComparison.Ordinal);
        Assert.Empty(workspace.DownloadFolderEntries());
    }

    [Fact]
    public async Task A_deleted_data_blob_fails_the_get_naming_the_blob_and_writes_nothing()
    {
        using var workspace = new CliWorkspace(keepStreamBlobs: true);
        var source = workspace.CreateRandomFile("gone.bin", TwoBlobs);
        var sdHash = await workspace.ShareForSdHashAsync(source);
        var deleted = workspace.DataBlobHashes(sdHash)[1];
        File.Delete(workspace.BlobPath(deleted));
        File.Delete(source); // else the blob is rebuilt from the shared file, and the get succeeds
        Directory.CreateDirectory(workspace.DownloadDirectory);

        var result = await workspace.RunAsync("get", sdHash, "--download-dir", workspace.DownloadDirectory, "--json");

        var message = result.ShouldFailWith(1, "missing_blob");
        Assert.Contains(deleted, message, StringComparison.Ordinal);
        Assert.Contains("not in the local store", message, StringComparison.Ordinal);
        Assert.Empty(workspace.DownloadFolderEntries());
    }

    [Fact]
    public async Task A_data_blob_damaged_in_place_is_caught_while_reading_and_nothing_is_written()
    {
        using var workspace = new CliWorkspace(keepStreamBlobs: true);
        var source = workspace.CreateRandomFile("damaged.bin", TwoBlobs);
        var sdHash = await workspace.ShareForSdHashAsync(source);
        var damaged = workspace.DataBlobHashes(sdHash)[1];
        CliWorkspace.DamageInPlace(workspace.BlobPath(damaged), keepTimestamp: true);
        Directory.CreateDirectory(workspace.DownloadDirectory);

        var result = await workspace.RunAsync("get", sdHash, "--download-dir", workspace.DownloadDirectory, "--json");

        // Same size and timestamp: start-up reconciliation trusts the file, so reading must catch it.
        var message = result.ShouldFailWith(1, "corrupt_blob");
        Assert.Contains(damaged, message, StringComparison.Ordinal);
        Assert.Empty(workspace.DownloadFolderEntries());
    }

    [Fact]
    public async Task A_data_blob_changed_on_disk_is_deleted_at_start_up_with_a_warning_and_nothing_is_written()
    {
        using var workspace = new CliWorkspace(keepStreamBlobs: true);
        var source = workspace.CreateRandomFile("changed.bin", TwoBlobs);
        var sdHash = await workspace.ShareForSdHashAsync(source);
        var damaged = workspace.DataBlobHashes(sdHash)[0];
        CliWorkspace.DamageInPlace(workspace.BlobPath(damaged), keepTimestamp: false);
        File.Delete(source); // else the deleted blob is rebuilt from the shared file, and the get succeeds
        Directory.CreateDirectory(workspace.DownloadDirectory);

        var result = await workspace.RunAsync("get", sdHash, "--download-dir", workspace.DownloadDirectory, "--json");

        result.ShouldExitWith(1);
        var error = result.LastLineAsJson().GetProperty("error");
        Assert.Contains(error.GetProperty("kind").GetString(), new[] { "missing_blob", "corrupt_blob" });
        Assert.Contains(damaged, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains(result.ErrorLines, line => line.StartsWith("warning: ", StringComparison.Ordinal) && line.Contains(damaged, StringComparison.Ordinal));
        Assert.False(File.Exists(workspace.BlobPath(damaged)), "The damaged blob file should have been deleted.");
        Assert.Empty(workspace.DownloadFolderEntries());
        result.ShouldShowNoStackTrace();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_sd_blob_replaced_by_garbage_fails_the_get_and_writes_nothing(bool keepTimestamp)
    {
        using var workspace = new CliWorkspace();
        var source = workspace.CreateRandomFile("garbage.bin", 30_000);
        var sdHash = await workspace.ShareForSdHashAsync(source);
        var sdPath = workspace.BlobPath(sdHash);
        var modified = File.GetLastWriteTimeUtc(sdPath);
        var garbage = new byte[new FileInfo(sdPath).Length];
        garbage.AsSpan().Fill((byte)'#');
        File.WriteAllBytes(sdPath, garbage);
        File.SetLastWriteTimeUtc(sdPath, keepTimestamp ? modified : modified.AddSeconds(-5));
        Directory.CreateDirectory(workspace.DownloadDirectory);

        var result = await workspace.RunAsync("get", sdHash, "--download-dir", workspace.DownloadDirectory, "--json");

        result.ShouldExitWith(1);
        Assert.Single(result.OutputLines);
        var error = result.LastLineAsJson().GetProperty("error");
        Assert.Contains(error.GetProperty("kind").GetString(), new[] { "corrupt_blob", "missing_blob" });
        Assert.Contains(sdHash, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Empty(workspace.DownloadFolderEntries());
        result.ShouldShowNoStackTrace();
    }

    [Fact]
    public async Task A_data_blob_hash_given_as_sd_hash_is_reported_as_an_invalid_descriptor()
    {
        using var workspace = new CliWorkspace(keepStreamBlobs: true);
        var source = workspace.CreateRandomFile("not-a-descriptor.bin", 30_000);
        var sdHash = await workspace.ShareForSdHashAsync(source);
        var dataBlob = Assert.Single(workspace.DataBlobHashes(sdHash));
        Directory.CreateDirectory(workspace.DownloadDirectory);

        var result = await workspace.RunAsync("get", dataBlob, "--download-dir", workspace.DownloadDirectory, "--json");

        var message = result.ShouldFailWith(1, "invalid_descriptor");
        Assert.Contains(dataBlob, message, StringComparison.Ordinal);
        Assert.Empty(workspace.DownloadFolderEntries());
    }
}
