using System.Diagnostics;
using Xunit.Abstractions;

namespace SmartShare.Fuzz.Tests;

/// <summary>
/// Every target under real AFL++ for a couple of seconds (issue 18's CI smoke): <c>scripts/fuzz --all --seconds 2
/// --lanes 2 --strict</c>, instrumenting the SmartShare assemblies this test project was built with once, into a
/// folder of its own. It fails when afl-fuzz is missing (scripts/test installs AFL++, so missing means the CI machine
/// is broken), when afl-fuzz cannot start on a target (its seeds crash, the fork server never answers), and when any
/// target saves a crash or a hang.
/// </summary>
public sealed class AflSmokeTests(ITestOutputHelper output)
{
    private const int SecondsPerTarget = 2;
    private static readonly TimeSpan RunLimit = TimeSpan.FromMinutes(8);

    [Fact]
    public void Every_target_runs_under_afl_without_a_crash_or_a_hang()
    {
        Assert.True(
            OnPath("afl-fuzz"),
            "afl-fuzz is not installed, so the fuzz targets cannot be smoke-tested under AFL++. scripts/test installs it "
            + "(Debian/Ubuntu: sudo apt-get install -y afl++); on a CI machine its absence means the setup is broken.");

        var root = SeedCorpusReplayTests.RepositoryRoot();
        var built = BuiltFuzzer(root);
        var outRoot = Path.Combine(Path.GetTempPath(), "smartshare-afl-smoke-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var (exitCode, text) = RunScript(
                root,
                [Path.Combine(root, "scripts", "fuzz"), "--all", "--seconds", SecondsPerTarget.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    "--lanes", "2", "--strict", "--out", outRoot, "--from", built]);
            output.WriteLine(text);

            var summaries = FuzzTargets.All.Keys.ToDictionary(target => target, target => ReadSummary(outRoot, target));
            var bad = summaries.Where(pair => pair.Value is not { } line || !line.Contains("crashes 0, hangs 0", StringComparison.Ordinal)).ToList();
            Assert.True(
                bad.Count == 0,
                "Targets that failed under afl-fuzz:\n" + string.Join('\n', bad.Select(pair => pair.Value ?? $"{pair.Key}: no result (see the output above)")));
            Assert.True(exitCode == 0, $"scripts/fuzz exited with {exitCode}; its output is above.");
            foreach (var (target, line) in summaries)
            {
                // afl-fuzz ran the target: it counted executions of its own (a start-up failure leaves none).
                Assert.DoesNotContain(": 0 executions", line!, StringComparison.Ordinal);
                output.WriteLine($"{target} ok");
            }
        }
        finally
        {
            if (Directory.Exists(outRoot))
            {
                Directory.Delete(outRoot, recursive: true);
            }
        }
    }

    /// <summary>The SmartShare.Fuzz build of the configuration this test runs in (the project reference built it).</summary>
    private static string BuiltFuzzer(string root)
    {
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = framework.Parent!.Name;
        var built = Path.Combine(root, "fuzz", "SmartShare.Fuzz", "bin", configuration, framework.Name);
        Assert.True(File.Exists(Path.Combine(built, "SmartShare.Fuzz.dll")), $"No SmartShare.Fuzz.dll in {built}.");
        return built;
    }

    private static string? ReadSummary(string outRoot, string target)
    {
        var path = Path.Combine(outRoot, target + ".summary");
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }

    private static (int ExitCode, string Output) RunScript(string root, IReadOnlyList<string> command)
    {
        var start = new ProcessStartInfo("bash") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in command)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("bash did not start.");
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(RunLimit))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Assert.Fail($"scripts/fuzz did not finish within {RunLimit.TotalMinutes} minutes:\n{string.Join('\n', lines)}");
        }

        process.WaitForExit();
        return (process.ExitCode, string.Join('\n', lines));

        void Keep(string? line)
        {
            if (line is not null)
            {
                lines.Enqueue(line);
            }
        }
    }

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(folder => File.Exists(Path.Combine(folder, program)));
}
