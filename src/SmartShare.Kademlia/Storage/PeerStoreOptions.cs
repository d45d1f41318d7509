namespace SmartShare.Kademlia.Storage;

/// <summary>Limits of the announced-peer store; together they bound its memory.</summary>
public sealed record PeerStoreOptions
{
    /// <summary>An entry is dropped this long after its last store (LBRY: 24 h).</summary>
    public TimeSpan Expiry { get; init; } = TimeSpan.FromHours(24);

    /// <summary>New keys beyond this are rejected (after expired entries are purged).</summary>
    public int MaxKeys { get; init; } = 65_536;

    /// <summary>A new peer for a full key evicts that key's least recently stored peer.</summary>
    public int MaxPeersPerKey { get; init; } = 128;

    /// <summary>Longer peer values are rejected (LBRY compact peers are 54 bytes, Mainline 6 or 18).</summary>
    public int MaxPeerValueLength { get; init; } = 128;
}
