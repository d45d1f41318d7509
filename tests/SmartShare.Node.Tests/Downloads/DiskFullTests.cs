using System.Diagnostics;
using System.Text.Json.Nodes;
using SmartShare.Lbry.Blobs;
using Xunit.Abstractions;

namespace SmartShare.Node.Tests.Downloads;

/// <summary>
/// A download into a folder on a full disk. Needs root and a 4 MiB tmpfs; xunit 2 has no runtime skip, so where
/// the mount is impossible the test passes without checking anything and says so in its output.
/// </summary>
public sealed class DiskFullTests(ITestOutputHelper output) : IDisposable
{
    private const int FullBlobPlaintext = 2_097_151;

    private readonly NodeTestDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_full_download_disk_pauses_the_download_with_a_sentence_and_keeps_no_partial_file()
    {
        var mountPoint = _temp.File("small-disk");
        Directory.CreateDirectory(mountPoint);
        if (!Environment.IsPrivilegedProcess)
        {
            output.WriteLine("Not checked: mounting a small tmpfs needs root.");
            return;
        }

        var (mountExit, mountOutput) = await RunToolAsync("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mountPoint);
        if (mountExit != 0)
        {
            output.WriteLine($"Not checked: could not mount a 4 MiB tmpfs (mount exited with {mountExit}: {mountOutput.Trim()}).");
            return;
        }

        try
        {
            await using var seeder = await TransferNode.StartAsync("A", _temp.File("a"));
            await using var getter = await TransferNode.StartAsync("B", _temp.File("b"));
            var source = TransferNode.WriteRandomFile(_temp.File("big.bin"), 4L * FullBlobPlaintext, seed: 9);
            var sdHash = await seeder.ShareAsync(source);

            await getter.CallAsync("get", new JsonObject
            {
                ["uri"] = sdHash,
                ["download_directory"] = mountPoint,
                ["peers"] = new JsonArray(seeder.BlobEndPoint.ToString()),
            });
            var file = await getter.WaitForStatusAsync(sdHash, "stopped");

            Assert.Matches("(?i)disk.* full", file["error"]!.GetValue<string>());
            Assert.Empty(Directory.EnumerateFileSystemEntries(mountPoint));
            var descriptor = new Lbry.Streams.StreamDecryptor(getter.Host.Storage).ReadDescriptor(BlobHash.Parse(sdHash));
            // The blobs that arrived stay (verified) for the resume; those still in flight when it paused do not.
            var kept = descriptor.DataBlobs.Where(blob => getter.Host.Storage.Blobs.TryGetLength(blob.BlobHash!.Value) is not null).ToList();
            Assert.True(kept.Count >= 2, $"Only {kept.Count} blobs were kept.");
            var buffer = new byte[BlobStore.MaxBlobSize];
            Assert.All(kept, blob => Assert.Equal(blob.Length, getter.Host.Storage.Blobs.Read(blob.BlobHash!.Value, buffer, verify: true)));
        }
        finally
        {
            var (umountExit, umountOutput) = await RunToolAsync("umount", mountPoint);
            if (umountExit != 0)
            {
                output.WriteLine($"umount {mountPoint} exited with {umountExit}: {umountOutput.Trim()}");
            }
        }
    }

    private static async Task<(int ExitCode, string Output)> RunToolAsync(string fileName, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)!;
        var standardOutput = process.StandardOutput.ReadToEndAsync();
        var standardError = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(deadline.Token);
        return (process.ExitCode, await standardOutput + await standardError);
    }
}
