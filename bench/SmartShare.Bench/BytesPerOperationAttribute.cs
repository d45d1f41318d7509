namespace SmartShare.Bench;

/// <summary>
/// How many bytes one invocation of a benchmark method processes; <see cref="ThroughputColumn"/> divides
/// it by the mean time to show MB/s next to BenchmarkDotNet's own columns.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = true)]
public sealed class BytesPerOperationAttribute(long bytes) : Attribute
{
    public long Bytes { get; } = bytes;
}
