using BenchmarkDotNet.Configs;

namespace SmartShare.Bench;

/// <summary>The default configuration plus the MB/s column.</summary>
public sealed class ThroughputConfig : ManualConfig
{
    public ThroughputConfig()
    {
        AddColumn(ThroughputColumn.Instance);
    }
}
