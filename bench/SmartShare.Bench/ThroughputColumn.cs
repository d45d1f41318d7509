using System.Globalization;
using System.Reflection;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace SmartShare.Bench;

/// <summary>
/// Throughput in MB/s (10^6 bytes per second, the unit <c>openssl speed</c> uses) for benchmarks marked
/// with <see cref="BytesPerOperationAttribute"/>; empty for the others.
/// </summary>
public sealed class ThroughputColumn : IColumn
{
    public static readonly ThroughputColumn Instance = new();

    public string Id => nameof(ThroughputColumn);

    public string ColumnName => "MB/s";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Bytes processed per second of the mean time, in 10^6 bytes per second";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(benchmarkCase);
        var bytes = benchmarkCase.Descriptor.WorkloadMethod.GetCustomAttribute<BytesPerOperationAttribute>()?.Bytes;
        var meanNanoseconds = summary[benchmarkCase]?.ResultStatistics?.Mean;
        if (bytes is null || meanNanoseconds is not > 0)
        {
            return "-";
        }

        var megabytesPerSecond = bytes.Value / meanNanoseconds.Value * 1e9 / 1e6;
        return megabytesPerSecond.ToString("N1", CultureInfo.InvariantCulture);
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public override string ToString() => ColumnName;
}
