using System.Text.RegularExpressions;
using SmartShare.Cli.Tests.Support;
using SmartShare.Tests.Shared;
using Xunit.Abstractions;

namespace SmartShare.Cli.Tests.Commands;

public sealed partial class ShareCommandTests(ITestOutputHelper output)
{
    private const int PlaintextPerBlob = 2_097_151;

    [Fact]
    public async Task Share_then_get_rebuilds_an_identical_file_across_blob_boundaries()
    {
        using var workspace = new CliWorkspace();
        var length = (2 * PlaintextPerBlob) + 123_457;
        var source = workspace.CreateRandomFile("holiday video.mp4", length);

        var shared = await workspace.ShareAsync(source);

        var sdHash = shared.GetProperty("sd_hash").GetString()!;
        Assert.Matches(Hex96(), sdHash);
        Assert.Matches(Hex96(), shared.GetProperty("stream_hash").GetString()!);
        Assert.Equal("holiday video.mp4", shared.GetProperty("name").GetString());
        Assert.Equal("holiday video.mp4", shared.GetProperty("suggested_file_name").GetString());
        Assert.Equal(source, shared.GetProperty("source").GetString());
        Assert.Equal(length, shared.GetProperty("size").GetInt64());
        Assert.Equal(3, shared.GetProperty("blobs").GetInt32());
        Assert.True(shared.GetProperty("seconds").GetDouble() >= 0);

        var got = await workspace.GetAsync(sdHash);

        var path = got.GetProperty("path").GetString()!;
        Assert.Equal(Path.Combine(workspace.DownloadDirectory, "holiday video.mp4"), path);
        Assert.Equal(sdHash, got.GetProperty("sd_hash").GetString());
        Assert.Equal("holiday video.mp4", got.GetProperty("name").GetString());
        Assert.Equal(length, got.GetProperty("size").GetInt64());
        Assert.Equal(3, got.GetProperty("blobs").GetInt32());
        Assert.True(got.GetProperty("seconds").GetDouble() >= 0);
        Assert.Equal(CliWorkspace.Sha256Of(source), CliWorkspace.Sha256Of(path));
        Assert.Equal(["holiday video.mp4"], workspace.DownloadFolderEntries());
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(PlaintextPerBlob, 1)]
    [InlineData(PlaintextPerBlob + 1, 2)]
    public async Task Each_blob_holds_at_most_2097151_bytes_of_the_file(int length, int expectedBlobs)
    {
        using var workspace = new CliWorkspace();
        var source = workspace.CreateRandomFile("data.bin", length);

        var shared = await workspace.ShareAsync(source);

        Assert.Equal(expectedBlobs, shared.GetProperty("blobs").GetInt32());
        var sdHash = shared.GetProperty("sd_hash").GetString()!;
        Assert.Equal(expectedBlobs, workspace.DataBlobHashes(sdHash).Count);
        var got = await workspace.GetAsync(sdHash);
        Assert.Equal(CliWorkspace.Sha256Of(source), CliWorkspace.Sha256Of(got.GetProperty("path").GetString()!));
    }

    [Fact]
    public async Task Json_mode_prints_exactly_one_line_and_nothing_on_stderr()
    {
        using var workspace = new CliWorkspace();
        var source = workspace.CreateRandomFile("a.bin", 1000);

        var result = await workspace.RunAsync("share", source, "--json");

        result.ShouldExitWith(0);
        Assert.Single(result.OutputLines);
        Assert.Equal(System.Text.Json.JsonValueKind.Object, result.LastLineAsJson().ValueKind);
        Assert.Equal(string.Empty, result.StandardError);
    }

    [Fact]
    public async Task Human_mode_prints_one_summary_line_containing_the_sd_hash()
    {
        using var workspace = new CliWorkspace();
        var source = workspace.CreateRandomFile("report.pdf", 50_000);

        var result = await workspace.RunAsync("share", source);

        result.ShouldExitWith(0);
        var line = Assert.Single(result.OutputLines);
        var sdHash = Assert.Single(Hex96Anywhere().Matches(line)).Value;
        Assert.Contains("report.pdf", line, StringComparison.Ordinal);
        Assert.True(File.Exists(workspace.BlobPath(sdHash)), $"The printed sd hash {sdHash} is not a file in {workspace.BlobDirectory}.\n{result}");

        // The one stdout line is the link to send; what was done is said on stderr.
        Assert.StartsWith("smartshare:", line, StringComparison.Ordinal);
        Assert.Contains(result.ErrorLines, error => error.StartsWith("Shared report.pdf", StringComparison.Ordinal) && error.Contains(sdHash, StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(workspace.Root, "report.pdf.smartshare")));
    }

    [Fact]
    public async Task The_sd_hash_names_a_blob_file_and_every_blob_file_is_named_by_the_sha384_of_its_bytes()
    {
        using var workspace = new CliWorkspace(keepStreamBlobs: true);
        var source = workspace.CreateRandomFile("two-blobs.bin", PlaintextPerBlob + 5000);

        var shared = await workspace.ShareAsync(source);

        var sdHash = shared.GetProperty("sd_hash").GetString()!;
        var dataBlobs = workspace.DataBlobHashes(sdHash);
        Assert.Equal(2, dataBlobs.Count);
        var expectedFiles = dataBlobs.Append(sdHash).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expectedFiles, workspace.BlobFolderFileNames());
        foreach (var name in workspace.BlobFolderFileNames())
        {
            Assert.Equal(name, CliWorkspace.Sha384Of(workspace.BlobPath(name)));
        }

        Assert.True(File.Exists(Path.Combine(workspace.DataDirectory, "smartshare.db")));
    }

    [Fact]
    public async Task Sharing_the_same_file_twice_gives_two_sd_hashes_that_both_rebuild_it()
    {
        using var workspace = new CliWorkspace();
        var source = workspace.CreateRandomFile("twice.bin", 300_000);

        var first = await workspace.ShareForSdHashAsync(source);

        // The second share writes the same NAME.smartshare, which needs --force.
        var second = (await workspace.RunAsync("share", source, "--force", "--json")).ShouldSucceedWithJson().GetProperty("sd_hash").GetString()!;

        // Each share draws a fresh random key, so the streams (and their descriptors) differ.
        Assert.NotEqual(first, second);
        var firstPath = (await workspace.GetAsync(first)).GetProperty("path").GetString()!;
        var secondPath = (await workspace.GetAsync(second)).GetProperty("path").GetString()!;
        Assert.NotEqual(firstPath, secondPath);
        Assert.Equal(CliWorkspace.Sha256Of(source), CliWorkspace.Sha256Of(firstPath));
        Assert.Equal(CliWorkspace.Sha256Of(source), CliWorkspace.Sha256Of(secondPath));
    }

    [Fact]
    public async Task An_existing_out_file_is_bad_input_left_unchanged_and_nothing_is_shared()
    {
        using var workspace = new CliWorkspace();
        var source = workspace.CreateRandomFile("mine.bin", 50_000);
        var existing = Path.Combine(workspace.Root, "existing.smartshare");
        await File.WriteAllTextAsync(existing, "keep me");

        var result = await workspace.RunAsync("share", source, "--out", existing, "--json");

        var message = result.ShouldFailWith(2, "bad_input");
        Assert.Contains($"\"{existing}\" already exists", message, StringComparison.Ordinal);
        Assert.Contains("--force", message, StringComparison.Ordinal);
        Assert.Equal("keep me", await File.ReadAllTextAsync(existing));
        Assert.Empty(workspace.BlobFolderFileNames());
    }

    [Fact]
    public async Task With_force_an_existing_out_file_is_replaced()
    {
        using var workspace = new CliWorkspace();
        var source = workspace.CreateRandomFile("mine.bin", 50_000);
        var existing = Path.Combine(workspace.Root, "existing.smartshare");
        await File.WriteAllTextAsync(existing, "replace me");

        var shared = (await workspace.RunAsync("share", source, "--out", existing, "--force", "--json")).ShouldSucceedWithJson();

        Assert.Equal(existing, shared.GetProperty("smartshare").GetString());
        Assert.Contains(shared.GetProperty("sd_hash").GetString()!, await File.ReadAllTextAsync(existing), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_fifo_is_refused_at_once_as_a_bad_source()
    {
        using var workspace = new CliWorkspace();
        using var hostile = new HostileFiles();

        var result = await workspace.RunAsync("share", hostile.Fifo, "--json");

        var message = result.ShouldFailWith(2, "bad_source");
        Assert.Contains("is a FIFO (named pipe)", message, StringComparison.Ordinal);
        Assert.Empty(workspace.BlobFolderFileNames());
    }

    [Fact]
    public async Task A_relative_path_is_shared_from_the_working_directory_and_reported_in_full()
    {
        using var workspace = new CliWorkspace();
        var source = workspace.CreateRandomFile("relative.txt", 4096);

        var shared = await workspace.ShareAsync("relative.txt");

        Assert.Equal(source, shared.GetProperty("source").GetString());
        Assert.Equal(4096, shared.GetProperty("size").GetInt64());
    }

    [Fact]
    public async Task Sharing_an_empty_file_fails_with_bad_source_and_stores_no_blob()
    {
        using var workspace = new CliWorkspace();
        var source = Path.Combine(workspace.Root, "empty.txt");
        File.WriteAllBytes(source, []);

        var result = await workspace.RunAsync("share", source, "--json");

        var message = result.ShouldFailWith(2, "bad_source");
        Assert.Contains("empty", message, StringComparison.Ordinal);
        Assert.Contains("lbry-sdk does not publish empty files", message, StringComparison.Ordinal);
        Assert.Empty(workspace.BlobFolderFileNames());
    }

    [Fact]
    public async Task Sharing_a_missing_file_fails_with_bad_source_saying_there_is_no_such_file()
    {
        using var workspace = new CliWorkspace();
        var source = Path.Combine(workspace.Root, "not-there.bin");

        var result = await workspace.RunAsync("share", source, "--json");

        var message = result.ShouldFailWith(2, "bad_source");
        Assert.Contains("no such file", message, StringComparison.Ordinal);
        Assert.Contains(source, message, StringComparison.Ordinal);
        Assert.Empty(workspace.BlobFolderFileNames());
    }

    [Fact]
    public async Task Sharing_a_folder_fails_with_bad_source()
    {
        using var workspace = new CliWorkspace();
        var folder = Path.Combine(workspace.Root, "a-folder");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "inside.txt"), "not shared");

        var result = await workspace.RunAsync("share", folder, "--json");

        var message = result.ShouldFailWith(2, "bad_source");
        Assert.Contains(folder, message, StringComparison.Ordinal);
        Assert.Empty(workspace.BlobFolderFileNames());
    }

    [Fact]
    public async Task A_failure_in_human_mode_prints_an_error_line_on_stderr_and_nothing_on_stdout()
    {
        using var workspace = new CliWorkspace();

        var result = await workspace.RunAsync("share", Path.Combine(workspace.Root, "not-there.bin"));

        result.ShouldExitWith(2);
        Assert.Empty(result.OutputLines);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains("no such file", line, StringComparison.Ordinal);
    }

    /// <summary>
    /// Needs root and a 4 MiB tmpfs. xunit 2 has no runtime skip, so where the mount is impossible the
    /// test passes without checking anything and says so in its output.
    /// </summary>
    [Fact]
    public async Task Sharing_onto_a_full_disk_fails_with_disk_full_and_leaves_no_temporary_files()
    {
        // Blobs kept: a share that writes only its descriptor needs next to no room.
        using var workspace = new CliWorkspace(keepStreamBlobs: true);
        await using var disk = await SmallDisk.TryMountAsync(Path.Combine(workspace.Root, "small-disk"), 4, output.WriteLine);
        if (disk is null)
        {
            return;
        }

        var source = workspace.CreateRandomFile("ten-mib.bin", 10 * 1024 * 1024);
        var dataDirectory = Path.Combine(disk.Path, "data");

        var result = await workspace.RunWithoutDataDirAsync(["share", source, "--data-dir", dataDirectory, "--json"]);

        output.WriteLine(result.ToString());
        result.ShouldExitWith(1);
        var blobFolder = Path.Combine(dataDirectory, "blobs");
        var leftovers = Directory.Exists(blobFolder)
            ? Directory.EnumerateFiles(blobFolder, ".tmp-*").Select(Path.GetFileName).ToList()
            : [];
        Assert.Empty(leftovers);
        var message = result.ShouldFailWith(1, "disk_full");
        Assert.Matches("(?i)disk.* full", message);
    }

    [GeneratedRegex("^[0-9a-f]{96}$")]
    private static partial Regex Hex96();

    [GeneratedRegex("(?<![0-9a-f])[0-9a-f]{96}(?![0-9a-f])")]
    private static partial Regex Hex96Anywhere();
}
