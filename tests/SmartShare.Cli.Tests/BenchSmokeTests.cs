using System.Diagnostics;
using System.Text.RegularExpressions;
using SmartShare.Cli.Tests.Support;

namespace SmartShare.Cli.Tests;

/// <summary>
/// The end-to-end benchmark scripts in bench/ run in their smoke mode (tiny inputs, one run, targets not enforced)
/// against the smartshare command built with the tests, so a change that breaks one fails here rather than on the
/// day someone measures. Each test checks the script exited 0 and printed the figure lines of its summary (a script
/// that prints nothing, or prints a row without its number, fails).
/// </summary>
public sealed class BenchSmokeTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Many_transfers_measures_a_node_holding_fifty_shares_and_twenty_torrents_and_its_restart()
    {
        var output = await RunAsync("many-transfers.sh");

        Assert.Contains("Summary: one node with 70 transfers (50 streams", output, StringComparison.Ordinal);
        AssertFigures(
            output,
            @"/events first \(full\) event: +\d+ ms",
            @"file_list, pages of 100: +median \d+ ms, largest \d+ ms",
            @"restart, API answering: +\d+\.\d+ s after launch; every transfer seeding: \d+\.\d+ s",
            @"restart, resident memory: +\d+ MiB when all seed, \d+ MiB 3 s later",
            @"restart, node CPU over 3 s idle: \d+\.\d+ s");
    }

    [Fact]
    public async Task Huge_torrent_adds_a_torrent_of_two_thousand_files_to_ours_and_libtorrent()
    {
        var output = await RunAsync("huge-torrent.sh");

        Assert.Contains("Summary: a torrent of 2001 files", output, StringComparison.Ordinal);
        AssertFigures(
            output,
            @"ours: resident memory \d+ MiB before, peak \d+ MiB, \d+ MiB after",
            @"one whole file list: \d+ ms",
            @"libtorrent: resident memory \d+ MiB before");
    }

    [Fact]
    public async Task Share_throughput_shares_and_rebuilds_a_small_file()
    {
        var output = await RunAsync("share-throughput.sh");

        AssertFigures(
            output,
            @"^SHA-384, 1 core \(MB/s\) +\d+\.\d$",
            @"^share \(MiB/s, time in share\) +\d+\.\d +\d+\.\d$",
            @"^share \(% of L\) +\d+\.\d +\d+\.\d +>= 70 +(PASS|FAIL)$",
            @"^share via running node \(% of L\) +\d+\.\d +\d+\.\d +>= 70$",
            @"^share peak RssAnon \(MiB, worst run\) +\d+\.\d$",
            @"^get \(MiB/s, time in get\) +\d+\.\d +\d+\.\d$",
            @"^get output identical to source +yes +yes +PASS$");
    }

    [Fact]
    public async Task Download_throughput_gets_a_stream_from_one_and_from_three_seeders()
    {
        var output = await RunAsync("download-throughput.sh");

        AssertFigures(
            output,
            @"^1 seeder +\d+\.\d \(\d+\.\d-\d+\.\d\) +\d+\.\d +\d+\.\d +\d+\.\d +(PASS|MISS) +(PASS|MISS)$",
            @"^3 seeders +\d+\.\d \(\d+\.\d-\d+\.\d\) +\d+\.\d +\d+\.\d +\d+\.\d +(PASS|MISS) +(PASS|MISS)$",
            @"^outputs +identical to source: yes \(PASS\)$");
    }

    [Fact]
    public async Task Smartshare_get_times_first_byte_and_completion()
    {
        var output = await RunAsync("smartshare-get.sh");

        AssertFigures(
            output,
            @"^ +time to first byte written: median \d+\.\d+ s \(runs: \d+\.\d+\)$",
            @"^ +time to complete: +median \d+\.\d+ s \(runs: \d+\.\d+\)$");
    }

    [Fact]
    public async Task First_byte_clicks_a_stream_and_torrents_not_yet_downloaded()
    {
        var output = await RunAsync("first-byte.sh");

        Assert.Contains("Summary: first byte of a 4 MiB file not yet downloaded", output, StringComparison.Ordinal);
        AssertFigures(
            output,
            @"^lbry, first click after start +\d+ +\d+ +\d+ +\d+ +(PASS|MISS)$",
            @"^torrent, first click after start +\d+ +\d+ +\d+ +\d+ +(PASS|MISS)$",
            @"^lbry \(\.smartshare\), our seeder +\d+ +\d+ +\d+ +\d+ +(PASS|MISS)$",
            @"^torrent \(\.torrent\), our seeder +\d+ +\d+ +\d+ +\d+ +(PASS|MISS)$",
            @"^torrent \(\.torrent\), libtorrent seeder +\d+ +\d+ +\d+ +\d+ +(PASS|MISS)$",
            @"^libtorrent, our seeder +- +- +\d+ +\d+ +\(ref\)$",
            @"^libtorrent, libtorrent seeder +- +- +\d+ +\d+ +\(ref\)$",
            @"^ +first MiB of every click identical to the source's: yes$");
    }

    [Fact]
    public async Task Torrent_throughput_downloads_from_a_libtorrent_seeder_by_libtorrent_and_by_smartshare()
    {
        var output = await RunAsync("torrent-throughput.sh");

        AssertFigures(
            output,
            @"^libtorrent +\d+\.\d +\d+\.\d{3} +\d+\.\d$",
            @"^smartshare +\d+\.\d +\d+\.\d{3} +\d+\.\d$",
            @"^ +ratio smartshare/libtorrent: \d+\.\d\d \(rate\), \d+\.\d\d \(peak RssAnon\)$",
            @"^ +smartshare peak RSS \(VmHWM, with the mapped \.NET runtime's pages\): \d+\.\d MiB$",
            @"^ +outputs identical to the source: yes$");
    }

    [Fact]
    public async Task Magnet_dht_finds_a_magnet_through_libtorrent_dht_nodes()
    {
        var output = await RunAsync("magnet-dht.sh");

        AssertFigures(
            output,
            @"^libtorrent +\d+\.\d{3} +\d+\.\d{3} +\d+\.\d{3} +\d+\.\d$",
            @"^smartshare +\d+\.\d{3} +\d+\.\d{3} +\d+\.\d{3} +\d+\.\d$",
            @"^ +outputs identical to the source: yes$");
    }

    [Fact]
    public async Task Swarm_seeds_four_leechers_from_each_seeder_and_leeches_from_four_seeders()
    {
        var output = await RunAsync("swarm.sh");

        AssertFigures(
            output,
            @"^1 seeder \(ours\) to 4 leechers +\d+\.\d{3} +\d+\.\d +(\d+\.\d\d ?){4}$",
            @"^1 seeder \(libtorrent\) to 4 leechers +\d+\.\d{3} +\d+\.\d +(\d+\.\d\d ?){4}$",
            @"^ +the seeder sent \(median MiB\): ours \d+(\.\d+)?, libtorrent \d+(\.\d+)?; its CPU \(median s\): ours \d+(\.\d+)?, libtorrent \d+(\.\d+)?$",
            @"^ +ratio ours/libtorrent \(seeder\): \d+\.\d\d",
            @"^4 seeders to 1 leecher \(ours\) +\d+\.\d{3} +\d+\.\d$",
            @"^4 seeders to 1 leecher \(libtorrent\) +\d+\.\d{3} +\d+\.\d$",
            @"^ +outputs identical to the source: yes$");
    }

    [Fact]
    public async Task Dht_simulation_runs_a_small_network()
    {
        // The project reference builds SmartShare.Bench (without referencing it) into its own bin folder, in the
        // configuration and framework of this test assembly (bin/CONFIGURATION/FRAMEWORK/).
        var framework = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = framework.Parent!;
        var bench = Path.Combine(RepositoryRoot(), "bench", "SmartShare.Bench", "bin", configuration.Name, framework.Name, "SmartShare.Bench.dll");
        Assert.True(File.Exists(bench), $"SmartShare.Bench is not built at {bench}.");

        var output = await RunAsync("dht-simulation.sh", new Dictionary<string, string> { ["BENCH_DHT_SIMULATION"] = bench });

        AssertFigures(
            output,
            @"^lookup success at 10% churn \(%\) +\d+\.\d\d +>= 99\.9 +\w+$",
            @"^median requests per lookup at 30% churn +\d+ +<= \d+\.\d\d +\w+$",
            @"^memory per idle node \(KiB, after join \+ refresh\) +\d+\.\d +< 64 +\w+$");
    }

    [Fact]
    public async Task Rate_limits_measures_every_limit_between_two_nodes()
    {
        var output = await RunAsync("rate-limits.sh");

        Assert.Contains("Summary: observed rates under a 2048 KiB/s limit", output, StringComparison.Ordinal);
        AssertFigures(
            output,
            @"stream, seeder's upload limit +\d+\.\d+ MiB/s",
            @"torrent, getter's download limit +\d+\.\d+ MiB/s");
    }

    [Fact]
    public async Task Hosted_disk_measures_a_stream_hosted_with_and_without_its_blobs()
    {
        var output = await RunAsync("hosted-disk.sh");

        Assert.Contains("Summary: one 6 MiB stream hosted", output, StringComparison.Ordinal);
        AssertFigures(
            output,
            @"disk per GiB hosted, before: +2\.0\d\d GiB",
            @"disk per GiB hosted, after: +1\.0\d\d GiB",
            @"serving rate from plain file: +\d+\.\d MiB/s");
    }

    [Fact]
    public async Task Utp_lossy_link_crosses_the_emulated_link_both_ways_and_measures_ledbat()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            // The script makes network namespaces (as the NetworkFaults tests do, which return early the same way).
            return;
        }

        var output = await RunAsync("utp-lossy-link.sh", limit: TimeSpan.FromMinutes(6));

        AssertFigures(
            output,
            @"^2 MiB, 50 ms/1 %/reorder, s +\d+\.\d\d +\d+\.\d\d$",
            @"^seeding MiB/s +\d+\.\d\d +\d+\.\d\d$",
            @"^uTP alone, MB/s +\d+\.\d +\d+\.\d$",
            @"^TCP kept next to uTP, % \(>= 80\) +\d+ +\d+$");
    }

    /// <summary>Each pattern must match a whole line of the output (multi-line mode, so ^ and $ are line ends).</summary>
    private static void AssertFigures(string output, params string[] patterns)
    {
        foreach (var pattern in patterns)
        {
            Assert.True(
                Regex.IsMatch(output, pattern, RegexOptions.Multiline | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(5)),
                $"No line matches {pattern} in the output:\n{output}");
        }
    }

    /// <summary>Runs bench/SCRIPT --smoke and returns its output (stdout, then stderr), failing unless it exited 0.</summary>
    private static async Task<string> RunAsync(string script, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? limit = null)
    {
        var path = Path.Combine(RepositoryRoot(), "bench", script);
        var start = new ProcessStartInfo("bash", [path, "--smoke"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.Environment["BENCH_CLI"] = SmartShareProcess.AssemblyPath;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not run bash.");
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit ?? Limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bench/{script} --smoke ran longer than {(limit ?? Limit).TotalMinutes} minutes.\n{await output}\n{await error}");
        }

        var text = (await output + await error).Replace("\r", "", StringComparison.Ordinal);
        Assert.True(process.ExitCode == 0, $"bench/{script} --smoke exited with {process.ExitCode}:\n{text}");
        return text;
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
