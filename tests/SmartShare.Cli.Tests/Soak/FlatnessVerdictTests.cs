using System.Diagnostics;

namespace SmartShare.Cli.Tests.Soak;

/// <summary>The soak's flatness check says "grows" for a leak and "flat" for noise, on synthetic series and on real processes.</summary>
public sealed class FlatnessVerdictTests
{
    private const long BaseRss = 120 * 1024;

    [Fact]
    public void Noise_and_spikes_around_a_level_are_flat()
    {
        var random = new Random(7);
        var samples = Series(1, 60, i => (BaseRss + random.Next(-4096, 4096) + (i % 17 == 0 ? 40_000 : 0), 180 + random.Next(-5, 6), 30 + random.Next(-2, 3)));
        var report = FlatnessVerdict.Judge(samples);
        Assert.True(report.Flat, report.Describe());
    }

    [Fact]
    public void A_warm_up_in_the_first_quarter_is_not_growth()
    {
        var samples = Series(1, 40, i => (i < 10 ? BaseRss * i / 10 : BaseRss, i < 10 ? 20 * i : 200, 30));
        Assert.True(FlatnessVerdict.Judge(samples).Flat);
    }

    [Theory]
    [InlineData("rss")]
    [InlineData("fds")]
    [InlineData("threads")]
    public void A_steady_leak_of_any_metric_grows(string metric)
    {
        // A leak at each sample (10 s in the hour's soak): 1 MiB, two descriptors, a thread every third sample.
        var samples = Series(
            1, 60, i => (BaseRss + (metric == "rss" ? 1024L * i : 0), 180 + (metric == "fds" ? 2 * i : 0), 30 + (metric == "threads" ? i / 3 : 0)));
        var report = FlatnessVerdict.Judge(samples);
        Assert.False(report.Flat, report.Describe());
        Assert.Equal([metric], report.Findings.Where(finding => !finding.Flat).Select(finding => finding.Metric));
        Assert.Contains($"verdict: grows ({metric} in lifetime 1)", report.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Each_lifetime_is_judged_alone()
    {
        // A restart drops what a lifetime had; a leak inside the second one is found, the drop itself is not growth.
        var first = Series(1, 30, i => (BaseRss * 2, 400, 40));
        var second = Series(2, 30, i => (BaseRss + (2048L * i), 150, 30));
        var report = FlatnessVerdict.Judge([.. first, .. second]);
        Assert.False(report.Flat);
        Assert.Equal([2], report.Findings.Where(finding => !finding.Flat).Select(finding => finding.Lifetime).Distinct());
    }

    [Fact]
    public void Lifetimes_too_short_to_judge_are_named_and_none_at_all_is_not_flat()
    {
        var report = FlatnessVerdict.Judge(Series(3, 5, i => (BaseRss, 100, 20)));
        Assert.False(report.Flat);
        Assert.Equal([3], report.Unjudged);
        Assert.Contains("no lifetime had enough samples", report.Describe(), StringComparison.Ordinal);
    }

    // The sampler and the verdict together on real processes: one opening descriptors and touching memory as it runs
    // grows; one sleeping is flat.
    [Fact]
    public async Task A_real_process_leaking_descriptors_and_memory_grows_and_a_quiet_one_is_flat()
    {
        const string Leaky = "import time\nheld = []\nwhile True:\n    held.append((open('/dev/null'), b'x' * (2 << 20)))\n    time.sleep(0.05)\n";
        const string Quiet = "import time\ntime.sleep(60)\n";
        var leaky = FlatnessVerdict.Judge(await SampleAsync(Leaky));
        Assert.False(leaky.Flat, leaky.Describe());
        Assert.Contains(leaky.Findings, finding => finding.Metric == "fds" && !finding.Flat);
        Assert.Contains(leaky.Findings, finding => finding.Metric == "rss" && !finding.Flat);
        var quiet = FlatnessVerdict.Judge(await SampleAsync(Quiet));
        Assert.True(quiet.Flat, quiet.Describe());
    }

    private static async Task<List<ResourceSample>> SampleAsync(string script)
    {
        using var process = Process.Start(new ProcessStartInfo("python3", ["-c", script]) { RedirectStandardInput = true })!;
        try
        {
            var samples = new List<ResourceSample>();
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < 24; i++)
            {
                await Task.Delay(100);
                samples.Add(ResourceSample.Read(process.Id, clock.Elapsed.TotalSeconds, 1) ?? throw new InvalidOperationException("python3 ended early."));
            }

            return samples;
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    private static List<ResourceSample> Series(int lifetime, int count, Func<int, (long Rss, int Fds, int Threads)> at) =>
        [.. Enumerable.Range(0, count).Select(i => at(i) is var (rss, fds, threads) ? new ResourceSample(i * 10.0, lifetime, 4242, rss, fds, threads) : null!)];
}
