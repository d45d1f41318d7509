namespace SmartShare.Kademlia.Routing;

/// <summary>
/// A range of XOR distances from our own id: every distance whose first <see cref="PrefixLength"/> bits equal
/// those of <see cref="LowDistance"/>. Buckets only ever split at midpoints, so every range has this shape.
/// </summary>
public sealed class BucketRange
{
    public BucketRange(NodeId lowDistance, int prefixLength)
    {
        ArgumentNullException.ThrowIfNull(lowDistance);
        ArgumentOutOfRangeException.ThrowIfNegative(prefixLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefixLength, lowDistance.BitLength);
        LowDistance = lowDistance;
        PrefixLength = prefixLength;
    }

    public NodeId LowDistance { get; }

    public int PrefixLength { get; }

    public bool CanSplit => PrefixLength < LowDistance.BitLength;

    /// <summary>The whole distance space for ids of <paramref name="length"/> bytes.</summary>
    public static BucketRange Whole(int length) => new(NodeId.Zero(length), 0);

    /// <summary>True when the distance between <paramref name="ownId"/> and <paramref name="id"/> lies here.</summary>
    public bool ContainsIdOf(NodeId ownId, NodeId id)
    {
        ArgumentNullException.ThrowIfNull(ownId);
        ArgumentNullException.ThrowIfNull(id);
        var own = ownId.Span;
        var other = id.Span;
        var low = LowDistance.Span;
        var fullBytes = PrefixLength >> 3;
        for (var i = 0; i < fullBytes; i++)
        {
            if ((byte)(own[i] ^ other[i]) != low[i])
            {
                return false;
            }
        }

        var remainingBits = PrefixLength & 7;
        if (remainingBits == 0)
        {
            return true;
        }

        var mask = (byte)(0xFF << (8 - remainingBits));
        return ((own[fullBytes] ^ other[fullBytes]) & mask) == (low[fullBytes] & mask);
    }

    /// <summary>The two halves of this range; the first holds the smaller distances.</summary>
    public (BucketRange Lower, BucketRange Upper) Split()
    {
        if (!CanSplit)
        {
            throw new InvalidOperationException("A range of a single distance cannot be split.");
        }

        var upper = LowDistance.ToArray();
        upper[PrefixLength >> 3] |= (byte)(0x80 >> (PrefixLength & 7));
        return (new BucketRange(LowDistance, PrefixLength + 1), new BucketRange(NodeId.FromBytes(upper), PrefixLength + 1));
    }

    /// <summary>The other half of the range this one was split from, or null for the whole space.</summary>
    public BucketRange? Sibling()
    {
        if (PrefixLength == 0)
        {
            return null;
        }

        var bytes = LowDistance.ToArray();
        var bit = PrefixLength - 1;
        bytes[bit >> 3] ^= (byte)(0x80 >> (bit & 7));
        return new BucketRange(NodeId.FromBytes(bytes), PrefixLength);
    }

    /// <summary>The range this one and its sibling were split from.</summary>
    public BucketRange Parent()
    {
        if (PrefixLength == 0)
        {
            throw new InvalidOperationException("The whole space has no parent range.");
        }

        var bytes = LowDistance.ToArray();
        var bit = PrefixLength - 1;
        bytes[bit >> 3] &= (byte)~(0x80 >> (bit & 7));
        return new BucketRange(NodeId.FromBytes(bytes), PrefixLength - 1);
    }

    /// <summary>The id at the middle of this range's distances from <paramref name="ownId"/>.</summary>
    public NodeId MidpointId(NodeId ownId)
    {
        ArgumentNullException.ThrowIfNull(ownId);
        var distance = LowDistance.ToArray();
        if (CanSplit)
        {
            distance[PrefixLength >> 3] |= (byte)(0x80 >> (PrefixLength & 7));
        }

        return NodeId.FromBytes(distance).DistanceTo(ownId);
    }

    /// <summary>A uniformly random id whose distance from <paramref name="ownId"/> lies in this range.</summary>
    public NodeId RandomId(NodeId ownId, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(ownId);
        ArgumentNullException.ThrowIfNull(random);
        var distance = new byte[LowDistance.Length];
        random.Fill(distance);
        var low = LowDistance.Span;
        var fullBytes = PrefixLength >> 3;
        low[..fullBytes].CopyTo(distance);
        var remainingBits = PrefixLength & 7;
        if (remainingBits != 0)
        {
            var mask = (byte)(0xFF << (8 - remainingBits));
            distance[fullBytes] = (byte)((low[fullBytes] & mask) | (distance[fullBytes] & ~mask));
        }

        return NodeId.FromBytes(distance).DistanceTo(ownId);
    }

    public bool SameAs(BucketRange other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return PrefixLength == other.PrefixLength && LowDistance.Equals(other.LowDistance);
    }

    public override string ToString() => $"{LowDistance}/{PrefixLength}";
}
