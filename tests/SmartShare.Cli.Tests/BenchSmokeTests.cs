using System.Diagnostics;
using SmartShare.Cli.Tests.Support;

namespace SmartShare.Cli.Tests;

/// <summary>
/// The end-to-end benchmark scripts in bench/ run in their smoke mode against the smartshare command built with the
/// tests, so a change that breaks one fails here rather than on the day someone measures.
/// </summary>
public sealed class BenchSmokeTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Many_transfers_measures_a_node_holding_fifty_shares()
    {
        var (exitCode, output) = await RunAsync("many-transfers.sh", "--smoke");

        Assert.True(exitCode == 0, output);
        Assert.Contains("Summary: one node with 50 transfers", output, StringComparison.Ordinal);
        Assert.Matches(@"/events first \(full\) event: +\d+ ms", output);
    }

    [Fact]
    public async Task Hosted_disk_measures_a_stream_hosted_with_and_without_its_blobs()
    {
        var (exitCode, output) = await RunAsync("hosted-disk.sh", "--smoke");

        Assert.True(exitCode == 0, output);
        Assert.Contains("Summary: one 6 MiB stream hosted", output, StringComparison.Ordinal);
        Assert.Matches(@"disk per GiB hosted, before: +2\.0\d\d GiB", output);
        Assert.Matches(@"disk per GiB hosted, after: +1\.0\d\d GiB", output);
        Assert.Matches(@"serving rate from plain file: +\d+\.\d MiB/s", output);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string script, params string[] arguments)
    {
        var path = Path.Combine(RepositoryRoot(), "bench", script);
        var start = new ProcessStartInfo("bash", [path, .. arguments])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.Environment["BENCH_CLI"] = SmartShareProcess.AssemblyPath;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not run bash.");
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bench/{script} ran longer than {Limit.TotalMinutes} minutes.\n{await output}\n{await error}");
        }

        return (process.ExitCode, await output + await error);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "bench", "lib", "common.sh")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("bench/lib/common.sh not found above " + AppContext.BaseDirectory);
    }
}
