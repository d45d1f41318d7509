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
    public async Task Rate_limits_measures_every_limit_between_two_nodes()
    {
        var (exitCode, output) = await RunAsync("rate-limits.sh", "--smoke");

        Assert.True(exitCode == 0, output);
        Assert.Contains("Summary: observed rates under a 2048 KiB/s limit", output, StringComparison.Ordinal);
        Assert.Matches(@"stream, seeder's upload limit +\d+\.\d+ MiB/s", output);
        Assert.Matches(@"torrent, getter's download limit +\d+\.\d+ MiB/s", output);
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
