namespace SmartShare.Kademlia;

/// <summary>
/// An immutable Kademlia identifier of any fixed length (20 bytes for Mainline, 48 for LBRY). Also used for
/// keys and for XOR distances, which are compared as unsigned big-endian integers.
/// </summary>
public sealed class NodeId : IEquatable<NodeId>, IComparable<NodeId>
{
    private readonly byte[] _bytes;

    private NodeId(byte[] bytes) => _bytes = bytes;

    public int Length => _bytes.Length;

    public int BitLength => _bytes.Length * 8;

    public ReadOnlySpan<byte> Span => _bytes;

    public static NodeId FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            throw new ArgumentException("A node id needs at least one byte.", nameof(bytes));
        }

        return new NodeId(bytes.ToArray());
    }

    public static NodeId FromHex(string hex) => FromBytes(Convert.FromHexString(hex));

    public static NodeId Random(int length, IRandomSource random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        ArgumentNullException.ThrowIfNull(random);
        var bytes = new byte[length];
        random.Fill(bytes);
        return new NodeId(bytes);
    }

    public static NodeId Zero(int length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        return new NodeId(new byte[length]);
    }

    public byte[] ToArray() => (byte[])_bytes.Clone();

    /// <summary>The XOR distance between this id and <paramref name="other"/>.</summary>
    public NodeId DistanceTo(NodeId other)
    {
        ThrowIfLengthDiffers(other);
        var result = new byte[_bytes.Length];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = (byte)(_bytes[i] ^ other._bytes[i]);
        }

        return new NodeId(result);
    }

    /// <summary>
    /// Negative when <paramref name="a"/> is closer to this id than <paramref name="b"/>, positive when farther,
    /// zero when equally far (only possible when a equals b). Allocates nothing.
    /// </summary>
    public int CompareDistance(NodeId a, NodeId b)
    {
        ThrowIfLengthDiffers(a);
        ThrowIfLengthDiffers(b);
        for (var i = 0; i < _bytes.Length; i++)
        {
            var distanceA = a._bytes[i] ^ _bytes[i];
            var distanceB = b._bytes[i] ^ _bytes[i];
            if (distanceA != distanceB)
            {
                return distanceA < distanceB ? -1 : 1;
            }
        }

        return 0;
    }

    /// <summary>Bit <paramref name="index"/> counted from the most significant bit, as 0 or 1.</summary>
    public int GetBit(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, BitLength);
        return (_bytes[index >> 3] >> (7 - (index & 7))) & 1;
    }

    /// <summary>Orders ids as unsigned big-endian integers, which makes distances comparable.</summary>
    public int CompareTo(NodeId? other)
    {
        if (other is null)
        {
            return 1;
        }

        ThrowIfLengthDiffers(other);
        return _bytes.AsSpan().SequenceCompareTo(other._bytes);
    }

    public bool Equals(NodeId? other) => other is not null && _bytes.AsSpan().SequenceEqual(other._bytes);

    public override bool Equals(object? obj) => obj is NodeId other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(_bytes);
        return hash.ToHashCode();
    }

    public override string ToString() => Convert.ToHexStringLower(_bytes);

    public static bool operator ==(NodeId? left, NodeId? right) => left is null ? right is null : left.Equals(right);

    public static bool operator !=(NodeId? left, NodeId? right) => !(left == right);

    public static bool operator <(NodeId left, NodeId right) => Compare(left, right) < 0;

    public static bool operator <=(NodeId left, NodeId right) => Compare(left, right) <= 0;

    public static bool operator >(NodeId left, NodeId right) => Compare(left, right) > 0;

    public static bool operator >=(NodeId left, NodeId right) => Compare(left, right) >= 0;

    private static int Compare(NodeId left, NodeId right)
    {
        ArgumentNullException.ThrowIfNull(left);
        return left.CompareTo(right);
    }

    private void ThrowIfLengthDiffers(NodeId other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other._bytes.Length != _bytes.Length)
        {
            throw new ArgumentException(
                $"Ids of different lengths cannot be compared ({other._bytes.Length} bytes vs {_bytes.Length}).",
                nameof(other));
        }
    }
}
