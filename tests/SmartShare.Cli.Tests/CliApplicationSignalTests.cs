using SmartShare.Cli.Tests.Support;

namespace SmartShare.Cli.Tests;

/// <summary>Ctrl-C (SIGINT) and SIGTERM stop a command cleanly: exit code 130 and nothing incomplete left behind.</summary>
public sealed class CliApplicationSignalTests : IDisposable
{
    private const int LargeFile = 300 * 1024 * 1024;

    private readonly CliWorkspace _workspace = new();

    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task A_signal_during_share_exits_130_and_leaves_no_blobs(string signal)
    {
        // The blob files of a share are what it stages (a node keeping no blobs writes only the descriptor, at the end).
        using var workspace = new CliWorkspace(keepStreamBlobs: true);
        var source = workspace.CreateRandomFile("large.bin", LargeFile);

        // Counted as inotify reports them, not by listing the folder every 10 ms: after a round of benches the listing
        // missed the half second a share stages for in most runs (most likely waiting on the folder's lock during
        // writeback), and the test never signalled.
        Directory.CreateDirectory(workspace.BlobDirectory);
        using var watcher = new FileSystemWatcher(workspace.BlobDirectory, ".tmp-*") { NotifyFilter = NotifyFilters.FileName };
        var staged = 0;
        watcher.Created += (_, _) => Interlocked.Increment(ref staged);
        watcher.EnableRaisingEvents = true;

        var result = await workspace.RunAndSignalAsync(
            () => Volatile.Read(ref staged) >= 2,
            "the share has staged blobs",
            signal,
            "share",
            source,
            "--json");

        result.ShouldFailWith(130, "cancelled");
        Assert.Empty(workspace.BlobFolderFileNames());
        var list = await workspace.RunAsync("blobs", "list", "--json");
        Assert.Equal(0, list.ExitCode);
        Assert.Equal(0, list.LastLineAsJson().GetProperty("blobs").GetArrayLength());
    }

    [Fact]
    public async Task A_signal_during_get_exits_130_and_leaves_nothing_in_the_download_folder()
    {
        var source = _workspace.CreateRandomFile("large.bin", LargeFile);
        var sdHash = await _workspace.ShareForSdHashAsync(source);

        var result = await _workspace.RunAndSignalAsync(
            () => Directory.Exists(_workspace.DownloadDirectory) && Directory.EnumerateFiles(_workspace.DownloadDirectory, "*.partial").Any(),
            "the rebuild has started writing",
            "INT",
            "get",
            sdHash,
            "--download-dir",
            _workspace.DownloadDirectory,
            "--json");

        result.ShouldFailWith(130, "cancelled");
        Assert.Empty(_workspace.DownloadFolderEntries());
    }

    public void Dispose() => _workspace.Dispose();
}
