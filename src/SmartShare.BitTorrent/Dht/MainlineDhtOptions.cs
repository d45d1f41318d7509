using System.Net;

namespace SmartShare.BitTorrent.Dht;

/// <summary>Settings of a <see cref="MainlineDht"/>; the defaults follow BEP 5 and libtorrent's habits.</summary>
public sealed record MainlineDhtOptions
{
    /// <summary>Nodes asked first when joining (for example router.bittorrent.com resolved, or our own nodes).</summary>
    public IReadOnlyList<IPEndPoint> Bootstrap { get; init; } = [];

    /// <summary>Accept loopback and private contacts and peers (tests, LAN); the public DHT refuses them.</summary>
    public bool AllowLan { get; init; }

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Incoming queries accepted per second from one IP address, after <see cref="QueryBurstPerIp"/>.</summary>
    public double MaxIncomingQueriesPerSecondPerIp { get; init; } = 50;

    public int QueryBurstPerIp { get; init; } = 100;

    /// <summary>Source addresses the query rate limiter remembers at once.</summary>
    public int MaxTrackedSources { get; init; } = 16_384;

    /// <summary>Our requests awaiting an answer at once; more fail at once instead of queueing.</summary>
    public int MaxPendingRequests { get; init; } = 1024;

    /// <summary>K, the bucket size and the nodes per answer.</summary>
    public int BucketSize { get; init; } = 8;

    /// <summary>α, requests in flight per lookup.</summary>
    public int Parallelism { get; init; } = 3;

    /// <summary>Peers in one get_peers answer; 50 compact IPv4 peers keep it well inside a datagram.</summary>
    public int MaxValuesPerResponse { get; init; } = 50;

    /// <summary>How long an announced peer is kept (libtorrent: about 45 minutes; peers re-announce every 15 to 30).</summary>
    public TimeSpan PeerExpiry { get; init; } = TimeSpan.FromMinutes(45);

    public int MaxInfoHashes { get; init; } = 8_192;

    public int MaxPeersPerInfoHash { get; init; } = 200;

    /// <summary>The bytes of a write token (truncated SHA-1 of secret and IP).</summary>
    public int TokenLength { get; init; } = 8;

    public TimeSpan TokenRotation { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>BEP 5: buckets are refreshed every 15 minutes, and nodes are good for 15 minutes after an answer.</summary>
    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromMinutes(15);

    public TimeSpan GoodWindow { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Contacts imported from a previous run that are pinged at bootstrap, at most.</summary>
    public int MaxImportedContacts { get; init; } = 200;

    /// <summary>Our <c>v</c>: two letters for the client and two version bytes.</summary>
    public ReadOnlyMemory<byte> Version { get; init; } = "SS\0\u0001"u8.ToArray();
}
