using System.Diagnostics;

namespace SmartShare.Cli.Tests;

/// <summary>
/// scripts/smartshare builds only when a real input changed. Run in a copy of the repository's shape with a stand-in
/// for dotnet that records its calls, so the test costs no build.
/// </summary>
public sealed class LauncherScriptTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "smartshare-launcher-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task A_second_run_with_nothing_changed_does_not_build_and_obj_or_bin_files_do_not_count()
    {
        var script = Path.Combine(_root, "scripts", "smartshare");
        Directory.CreateDirectory(Path.GetDirectoryName(script)!);
        File.Copy(Path.Combine(RepositoryRoot(), "scripts", "smartshare"), script);
        var source = Touch(Path.Combine(_root, "src", "SmartShare.Cli", "Program.cs"));
        var dll = Path.Combine(_root, "artifacts", "cli", "smartshare.dll");
        Touch(dll);
        var calls = Path.Combine(_root, "dotnet-calls");
        var bin = Path.Combine(_root, "bin");
        Directory.CreateDirectory(bin);
        var dotnet = Path.Combine(bin, "dotnet");
        await File.WriteAllTextAsync(dotnet, $"#!/bin/sh\necho \"$1\" >> '{calls}'\n");
        File.SetUnixFileMode(dotnet, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var past = DateTime.UtcNow.AddMinutes(-10);
        File.SetLastWriteTimeUtc(dll, past);
        File.SetLastWriteTimeUtc(source, past.AddMinutes(1));

        var first = await RunAsync(script, bin);
        Assert.Contains("smartshare: building", first, StringComparison.Ordinal);

        // What a build leaves behind under obj/ and bin/ is newer than the dll, and must not count as a change.
        Touch(Path.Combine(_root, "src", "SmartShare.Cli", "obj", "Release", "project.assets.cs"));
        Touch(Path.Combine(_root, "src", "SmartShare.Cli", "bin", "Release", "smartshare.cs"));
        File.SetLastWriteTimeUtc(dll, DateTime.UtcNow.AddSeconds(-30));
        var second = await RunAsync(script, bin);
        Assert.Equal(string.Empty, second);
        Assert.Equal(["publish", dll, dll], await File.ReadAllLinesAsync(calls));
    }

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private static string Touch(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, string.Empty);
        return path;
    }

    private static async Task<string> RunAsync(string script, string bin)
    {
        var start = new ProcessStartInfo("bash", [script, "--version"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.Environment["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH");
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not run bash.");
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
        return await error;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "scripts", "smartshare")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("scripts/smartshare not found above " + AppContext.BaseDirectory);
    }
}
