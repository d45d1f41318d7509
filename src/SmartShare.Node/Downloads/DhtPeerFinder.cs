using System.Net;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Dht;
using SmartShare.Lbry.Downloads;

namespace SmartShare.Node.Downloads;

/// <summary>
/// Peers for a stream from the LBRY DHT's value lookup on its sd hash, as blob-exchange (TCP) addresses,
/// leaving out this node's own blob server (it announces itself too).
/// </summary>
public sealed class DhtPeerFinder(LbryDhtService dht, Func<IPEndPoint?> ownBlobServer) : IStreamPeerFinder
{
    public async Task<IReadOnlyList<IPEndPoint>> FindPeersAsync(BlobHash sdHash, CancellationToken cancellationToken)
    {
        var found = await dht.FindPeersAsync(sdHash, cancellationToken);
        var self = ownBlobServer();
        var peers = new List<IPEndPoint>(found.Count);
        foreach (var peer in found)
        {
            var endPoint = new IPEndPoint(peer.Address, peer.TcpPort);
            if (self is not null && endPoint.Port == self.Port && (IPAddress.IsLoopback(endPoint.Address) || endPoint.Address.Equals(self.Address)))
            {
                continue;
            }

            peers.Add(endPoint);
        }

        return peers;
    }
}
