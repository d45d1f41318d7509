using SmartShare.BitTorrent;

namespace SmartShare.Node.Shares;

/// <summary>
/// The same content as a torrent: its info hash, the creator's BitTorrent peer endpoints (TCP) and its Mainline DHT
/// endpoints (UDP). A receiver starts from the creator's peers and also finds others through the DHT.
/// </summary>
public sealed record SmartShareTorrent(InfoHash InfoHash, IReadOnlyList<SmartShareEndpoint> Peers, IReadOnlyList<SmartShareEndpoint> Dht)
{
    public bool Equals(SmartShareTorrent? other) =>
        other is not null && InfoHash == other.InfoHash && Peers.SequenceEqual(other.Peers) && Dht.SequenceEqual(other.Dht);

    public override int GetHashCode() => HashCode.Combine(InfoHash, Peers.Count, Dht.Count);
}
