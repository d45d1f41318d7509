using System.Net;

namespace SmartShare.Lbry.Downloads;

/// <summary>What one download knows about one peer: its connections, failures, ban and the blobs it lacks.</summary>
internal sealed class DownloadPeer(IPEndPoint endPoint)
{
    /// <summary>The index the sd blob has in <see cref="Lacks"/>.</summary>
    public const int DescriptorIndex = -1;

    public IPEndPoint EndPoint { get; } = endPoint;

    public int Connections { get; set; }

    public int Failures { get; set; }

    public DateTimeOffset BannedUntil { get; set; }

    public bool Dropped { get; set; }

    /// <summary>
    /// Dropped only for failing to answer (timeouts, refused or closed connections), never for bad data: the network
    /// may come back, so the peer is tried again when named again or when the download has no other peer left.
    /// </summary>
    public bool Unreachable { get; set; }

    public string? LastError { get; set; }

    /// <summary>Blobs the peer said it does not have; cleared when a peer search finds it again.</summary>
    public HashSet<int> Lacks { get; } = [];

    public bool IsUsable(DateTimeOffset now, int maxConnections) =>
        !Dropped && BannedUntil <= now && Connections < maxConnections;
}
