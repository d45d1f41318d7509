using SmartShare.Kademlia.Storage;
using SmartShare.Kademlia.Tokens;

namespace SmartShare.Kademlia;

/// <summary>Parameters of a <see cref="KademliaNode"/>; the defaults follow LBRY (spec sections 0 and 1.5–1.8).</summary>
public sealed record KademliaNodeOptions
{
    /// <summary>K: bucket size and the number of nodes a lookup returns and an announcement stores to.</summary>
    public int BucketSize { get; init; } = 8;

    /// <summary>α: requests in flight per lookup.</summary>
    public int Parallelism { get; init; } = 5;

    /// <summary>Full buckets with an index below this always split (lbry-sdk code default 1, daemon 2).</summary>
    public int SplitBucketsUnderIndex { get; init; } = 1;

    /// <summary>Also split a full bucket when the newcomer is closer than our K-th closest contact (LBRY); Mainline: off.</summary>
    public bool SplitCloserThanKthClosest { get; init; } = true;

    /// <summary>A contact that replied within this window is good (LBRY: 720 s; BEP 5: 15 min).</summary>
    public TimeSpan GoodWindow { get; init; } = TimeSpan.FromSeconds(720);

    /// <summary>How many nodes the join lookup for our own id asks to return (lbry-sdk: 32).</summary>
    public int JoinLookupCount { get; init; } = 32;

    /// <summary>Join attempts while the table stays empty, and the pause between them.</summary>
    public int MaxJoinAttempts { get; init; } = 3;

    public TimeSpan JoinRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A requester we do not know is pinged after this delay and joins the table only if it answers (LBRY: 300 s).
    /// <see cref="TimeSpan.Zero"/> adds requesters at once, as Mainline nodes commonly do.
    /// </summary>
    public TimeSpan RequesterPingBackDelay { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>
    /// While the routing table holds fewer contacts than this, a new requester is pinged back at once instead of
    /// after <see cref="RequesterPingBackDelay"/>: a fresh node whose only contact is its bootstrap learns the nodes
    /// that find it (and can announce to them) in seconds, not minutes. lbry-sdk's own ping queue takes a delay per
    /// ping (zero for a full bucket's check) and keeps one pending ping per contact, as this does. 0 turns it off.
    /// </summary>
    public int ImmediatePingBackBelow { get; init; }

    /// <summary>Bounds the ping-backs and eviction pings waiting at once; more are dropped.</summary>
    public int MaxPendingPings { get; init; } = 256;

    /// <summary>How many addresses' latest replies are remembered outside the routing table.</summary>
    public int MaxRecentReplies { get; init; } = 4_096;

    /// <summary>At most this many stored peers go into one findValue answer (the codec pages or trims them).</summary>
    public int MaxPeersPerResponse { get; init; } = 32;

    /// <summary>Bucket refresh period when started with <see cref="KademliaNode.Start"/>; LBRY: 1 h.</summary>
    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// While the routing table holds fewer contacts than this, the node looks up its own id through its bootstrap
    /// nodes every <see cref="SmallTableRejoinInterval"/> (a healed partition, or a join that found few): 0 turns it off.
    /// </summary>
    public int SmallTableBelow { get; init; } = 8;

    public TimeSpan SmallTableRejoinInterval { get; init; } = TimeSpan.FromSeconds(30);

    public PeerStoreOptions PeerStore { get; init; } = new();

    public TokenManagerOptions Tokens { get; init; } = new();
}
