using System.Globalization;
using System.Text;

namespace SmartShare.Cli.Tests.Soak;

/// <summary>What one metric may grow within one process lifetime: the larger of a share and an absolute amount.</summary>
internal sealed record MetricTolerance(string Name, string Unit, double Relative, double Absolute, Func<ResourceSample, double> Read)
{
    public double Allowed(double baseline) => Math.Max(baseline * Relative, Absolute);
}

/// <summary>One metric in one lifetime: the medians of its second and last quarters.</summary>
internal sealed record LifetimeFinding(int Lifetime, int Samples, string Metric, string Unit, double SecondQuarter, double LastQuarter, double Allowed)
{
    public double Growth => LastQuarter - SecondQuarter;

    public bool Flat => Growth <= Allowed;

    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"lifetime {Lifetime} ({Samples} samples): {Metric} {SecondQuarter:0.#} -> {LastQuarter:0.#} {Unit} (growth {Growth:+0.#;-0.#;0}, allowed {Allowed:0.#}){(Flat ? string.Empty : " GROWS")}");
}

/// <summary>The verdict over a soak's samples.</summary>
internal sealed record FlatnessReport(IReadOnlyList<LifetimeFinding> Findings, IReadOnlyList<int> Unjudged, int MinimumSamples)
{
    /// <summary>Flat: at least one lifetime was long enough to judge, and no metric grew beyond its tolerance in any.</summary>
    public bool Flat => Findings.Count > 0 && Findings.All(finding => finding.Flat);

    public string Describe()
    {
        var text = new StringBuilder();
        foreach (var finding in Findings)
        {
            text.AppendLine(finding.ToString());
        }

        if (Unjudged.Count > 0)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"not judged (fewer than {MinimumSamples} samples): lifetime {string.Join(", ", Unjudged)}");
        }

        var growing = Findings.Where(finding => !finding.Flat).ToList();
        text.Append(
            Findings.Count == 0 ? "verdict: no lifetime had enough samples to judge"
            : growing.Count == 0 ? "verdict: flat"
            : $"verdict: grows ({string.Join("; ", growing.Select(finding => $"{finding.Metric} in lifetime {finding.Lifetime}"))})");
        return text.ToString();
    }
}

/// <summary>
/// The soak's flatness check. Each process lifetime (the node restarts, so memory, descriptors and threads start over)
/// is judged alone: the median of its last quarter of samples may exceed the median of its second quarter by at most
/// the metric's tolerance. The first quarter (start-up, warm-up) is left out; medians ignore a lone spike (a burst of
/// transfers, a GC that has not run yet) while a leak moves every sample after it.
/// </summary>
internal static class FlatnessVerdict
{
    public const int DefaultMinimumSamples = 8;

    /// <summary>The stated tolerances: RSS 15% or 24 MiB, descriptors 15% or 12, threads 25% or 6 (whichever is larger).</summary>
    public static IReadOnlyList<MetricTolerance> Tolerances { get; } =
    [
        new("rss", "KiB", 0.15, 24 * 1024, sample => sample.RssKib),
        new("fds", "fds", 0.15, 12, sample => sample.FileDescriptors),
        new("threads", "threads", 0.25, 6, sample => sample.Threads),
    ];

    public static FlatnessReport Judge(IEnumerable<ResourceSample> samples, int minimumSamples = DefaultMinimumSamples, IReadOnlyList<MetricTolerance>? tolerances = null)
    {
        var findings = new List<LifetimeFinding>();
        var unjudged = new List<int>();
        foreach (var lifetime in samples.GroupBy(sample => sample.Lifetime).OrderBy(group => group.Key))
        {
            var series = lifetime.OrderBy(sample => sample.ElapsedSeconds).ToList();
            if (series.Count < minimumSamples)
            {
                unjudged.Add(lifetime.Key);
                continue;
            }

            var n = series.Count;
            foreach (var metric in tolerances ?? Tolerances)
            {
                var second = Median(series.Skip(n / 4).Take((n / 2) - (n / 4)).Select(metric.Read));
                var last = Median(series.Skip(3 * n / 4).Select(metric.Read));
                findings.Add(new LifetimeFinding(lifetime.Key, n, metric.Name, metric.Unit, second, last, metric.Allowed(second)));
            }
        }

        return new FlatnessReport(findings, unjudged, minimumSamples);
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        if (sorted.Count == 0)
        {
            throw new ArgumentException("No values.", nameof(values));
        }

        var middle = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
