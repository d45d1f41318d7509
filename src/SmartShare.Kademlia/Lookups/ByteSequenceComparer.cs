namespace SmartShare.Kademlia.Lookups;

/// <summary>Compares peer values by content so a value lookup reports each peer once.</summary>
internal sealed class ByteSequenceComparer : IEqualityComparer<ReadOnlyMemory<byte>>
{
    public static ByteSequenceComparer Instance { get; } = new();

    public bool Equals(ReadOnlyMemory<byte> x, ReadOnlyMemory<byte> y) => x.Span.SequenceEqual(y.Span);

    public int GetHashCode(ReadOnlyMemory<byte> obj)
    {
        var hash = new HashCode();
        hash.AddBytes(obj.Span);
        return hash.ToHashCode();
    }
}
