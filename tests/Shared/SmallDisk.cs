using System.Diagnostics;

namespace SmartShare.Tests.Shared;

/// <summary>
/// A tiny tmpfs mounted for a disk-full test, unmounted on dispose. Compiled into each test project that needs
/// one (linked source). Mounting needs root; xunit 2 has no runtime skip, so where it is impossible
/// <see cref="TryMountAsync"/> returns null and says why, and the test passes without checking anything.
/// </summary>
internal sealed class SmallDisk : IAsyncDisposable
{
    private readonly Action<string> _note;

    private SmallDisk(string path, Action<string> note)
    {
        Path = path;
        _note = note;
    }

    public string Path { get; }

    /// <param name="readOnly">
    /// Mount it read-only: no one writes there, root included (a folder's mode bits do not stop root).
    /// </param>
    public static async Task<SmallDisk?> TryMountAsync(string mountPoint, int mebibytes, Action<string> note, bool readOnly = false)
    {
        Directory.CreateDirectory(mountPoint);
        if (!Environment.IsPrivilegedProcess)
        {
            note("Not checked: mounting a small tmpfs needs root.");
            return null;
        }

        var (exitCode, output) = await RunAsync("mount", "-t", "tmpfs", "-o", $"size={mebibytes}m{(readOnly ? ",ro" : "")}", "tmpfs", mountPoint);
        if (exitCode != 0)
        {
            note($"Not checked: could not mount a {mebibytes} MiB tmpfs (mount exited with {exitCode}: {output.Trim()}).");
            return null;
        }

        return new SmallDisk(mountPoint, note);
    }

    /// <summary>Free bytes on the disk as the node sees them.</summary>
    public long FreeBytes => new DriveInfo(Path).AvailableFreeSpace;

    /// <summary>
    /// Fills the disk with a file until only <paramref name="leaveFree"/> bytes are free, and returns the file's path
    /// (delete it to free the space again).
    /// </summary>
    public string Fill(long leaveFree)
    {
        var filler = System.IO.Path.Combine(Path, "filler.bin");
        var block = new byte[64 * 1024];
        using var stream = new FileStream(filler, FileMode.Create, FileAccess.Write);
        while (FreeBytes > leaveFree)
        {
            stream.Write(block, 0, (int)Math.Min(block.Length, FreeBytes - leaveFree));
            stream.Flush();
        }

        return filler;
    }

    public async ValueTask DisposeAsync()
    {
        var (exitCode, output) = await RunAsync("umount", Path);
        if (exitCode != 0)
        {
            // Still busy (a process of the test not yet gone holds a file there): detach it now, so no test leaves a
            // mount behind; the kernel frees it when the last file closes.
            var (lazyExitCode, lazyOutput) = await RunAsync("umount", "--lazy", Path);
            _note($"umount {Path} exited with {exitCode}: {output.Trim()}; umount --lazy exited with {lazyExitCode}{(lazyExitCode == 0 ? "" : ": " + lazyOutput.Trim())}");
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string fileName, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(startInfo)!;
            var standardOutput = process.StandardOutput.ReadToEndAsync();
            var standardError = process.StandardError.ReadToEndAsync();
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                return (-1, $"{fileName} did not finish within 30 s and was killed.");
            }

            return (process.ExitCode, await standardOutput + await standardError);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (-1, ex.Message);
        }
    }
}
