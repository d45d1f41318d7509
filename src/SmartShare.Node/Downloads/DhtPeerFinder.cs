using System.Net;
using SmartShare.Lbry.Blobs;
using SmartShare.Lbry.Dht;
using SmartShare.Lbry.Downloads;
using SmartShare.Node.Hosting;
using SmartShare.Node.LocalDiscovery;

namespace SmartShare.Node.Downloads;

/// <summary>
/// Peers for a stream from the LBRY DHT's value lookup on its sd hash, as blob-exchange (TCP) addresses,
/// leaving out this node's own blob server (it announces itself too). A lookup made while the node is still
/// joining first waits (a little) for the join, so a download started with the node finds peers at once. With
/// local discovery, each round also asks the LAN (<see cref="LbryLanDiscovery.Want"/>) and adds the neighbours
/// heard offering the stream; when there are some, it does not wait for the join.
/// </summary>
public sealed class DhtPeerFinder(LbryDhtService dht, DhtMembership membership, Func<IPEndPoint?> ownBlobServer, LbryLanDiscovery? localDiscovery = null) : IStreamPeerFinder
{
    private static readonly TimeSpan JoinWait = TimeSpan.FromSeconds(10);

    private readonly HashSet<IPEndPoint> _found = [];
    private int _lookups;

    /// <summary>DHT lookups finished so far, for a download's "what it tried".</summary>
    public int Lookups => Volatile.Read(ref _lookups);

    /// <summary>Distinct peers the lookups returned (this node left out).</summary>
    public int PeersFound
    {
        get
        {
            lock (_found)
            {
                return _found.Count;
            }
        }
    }

    public async Task<IReadOnlyList<IPEndPoint>> FindPeersAsync(BlobHash sdHash, CancellationToken cancellationToken)
    {
        var local = localDiscovery is null ? [] : await localDiscovery.WantAsync(sdHash, cancellationToken);
        try
        {
            if (local.Count == 0)
            {
                await membership.WaitForJoinAsync(cancellationToken).WaitAsync(JoinWait, cancellationToken);
            }
        }
        catch (TimeoutException)
        {
            // Not joined yet (no bootstrap answered): look up with whatever contacts there are.
        }

        var found = await dht.FindPeersAsync(sdHash, cancellationToken);
        var self = ownBlobServer();
        var peers = new List<IPEndPoint>(found.Count + local.Count);
        peers.AddRange(local.Where(peer => self is null || !peer.Equals(self)));
        foreach (var peer in found)
        {
            var endPoint = new IPEndPoint(peer.Address, peer.TcpPort);
            if (self is not null && endPoint.Port == self.Port && (IPAddress.IsLoopback(endPoint.Address) || endPoint.Address.Equals(self.Address)))
            {
                continue;
            }

            peers.Add(endPoint);
        }

        Interlocked.Increment(ref _lookups);
        lock (_found)
        {
            _found.UnionWith(peers);
        }

        return peers;
    }
}
