namespace SmartShare.Lbry.Dht;

/// <summary>Settings of the LBRY DHT endpoint; defaults are lbry-sdk's (spec section 0).</summary>
public sealed record LbryDhtOptions
{
    /// <summary>The blob-exchange port announced in stores (lbry-sdk guesses our UDP port from it, so they match).</summary>
    public int TcpPort { get; init; } = 4444;

    /// <summary>Accept loopback and private addresses (LAN use and tests); lbry-sdk refuses them.</summary>
    public bool AllowLan { get; init; }

    /// <summary>K: peers per findValue page, contacts per answer.</summary>
    public int BucketSize { get; init; } = 8;

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Requests awaiting an answer at once; more are refused at once rather than queued.</summary>
    public int MaxPendingRequests { get; init; } = 1024;

    /// <summary>Inbound datagrams per second per source address, after a burst.</summary>
    public double DatagramsPerSecondPerSource { get; init; } = 50;

    public int DatagramBurstPerSource { get; init; } = 200;

    /// <summary>Source addresses the rate limiter remembers at once.</summary>
    public int MaxTrackedSources { get; init; } = 65_536;

    /// <summary>findValue pages followed from one node (lbry-sdk follows while pages are full).</summary>
    public int MaxPagesPerNode { get; init; } = 16;
}
