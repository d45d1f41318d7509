namespace SmartShare.Kademlia.Routing;

/// <summary>Routing-table parameters; the defaults are LBRY's (spec 1.7).</summary>
public sealed record RoutingTableOptions
{
    /// <summary>K: contacts per bucket.</summary>
    public int BucketSize { get; init; } = 8;

    /// <summary>Full buckets with an index below this always split (lbry-sdk code default 1, daemon 2).</summary>
    public int SplitBucketsUnderIndex { get; init; } = 1;

    /// <summary>
    /// A full bucket may also split when the newcomer is closer to us than our K-th closest contact (LBRY). Off:
    /// only buckets under <see cref="SplitBucketsUnderIndex"/> split, so with index 1 only the bucket holding our
    /// own id does, as BEP 5 (Mainline) prescribes.
    /// </summary>
    public bool SplitCloserThanKthClosest { get; init; } = true;

    /// <summary>A contact that replied within this window is good.</summary>
    public TimeSpan GoodWindow { get; init; } = TimeSpan.FromSeconds(720);

    /// <summary>A contact that replied within this window is never offered for eviction.</summary>
    public TimeSpan RecentReplyWindow { get; init; } = TimeSpan.FromSeconds(60);
}
