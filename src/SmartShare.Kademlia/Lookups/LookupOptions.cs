namespace SmartShare.Kademlia.Lookups;

/// <summary>Lookup parameters; the defaults are LBRY's (K = 8, α = 5).</summary>
public sealed record LookupOptions
{
    /// <summary>K: how many of the closest shortlist entries (plus those in flight) are candidates.</summary>
    public int BucketSize { get; init; } = 8;

    /// <summary>α: requests in flight at once.</summary>
    public int Parallelism { get; init; } = 5;

    /// <summary>A safety cap on requests per lookup, so one lookup cannot walk a hostile network forever.</summary>
    public int MaxRequests { get; init; } = 1_000;
}
